//! Fork-choice voting, exactly as bitmarkd's `peer/voting` (protocol §4.4).
//!
//! Each active registered upstream votes with its cached digest of *our* height; votes
//! from upstreams whose cached remote height is below ours are discarded. The largest group
//! wins if it has at least `min_votes` (3) votes; a tie of largest groups is a *draw*, broken
//! by bitmarkd's quirky `SmallerDigestThan` between the first voter of each tied group. The
//! result height is the winning voter's own cached remote height (not the group's maximum).
//!
//! bitmarkd iterates its groups in Go map order (random); the end result of counting does
//! not depend on it (a draw is exactly "two or more groups share the largest size"). Where
//! bitmarkd's result could depend on the order (the candidate walk of a draw, the height
//! checked for `votes with zero height`), [`Ballot`] uses the order in which the groups
//! first received a vote, so elections are reproducible.

use peerd_api::Digest;

/// Why an election has no winner; the texts are bitmarkd's fault texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VoteError {
    /// No vote was cast (or every vote was below the minimum height).
    #[error("votes with empty winner")]
    EmptyWinner,
    /// The largest group (or the tied groups together, in a draw) has too few votes.
    #[error("votes insufficient")]
    Insufficient,
    /// A draw between groups of zero votes (unreachable with real votes; kept for parity).
    #[error("votes with zero count")]
    ZeroCount,
    /// A draw whose first tied group's first voter reports height 0.
    #[error("votes with zero height")]
    ZeroHeight,
}

/// The outcome of an election.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Elected<V> {
    /// The winning voter (the first voter of the winning group).
    pub voter: V,
    /// That voter's cached remote height.
    pub height: u64,
    /// The winning group's key: the winner's digest of our height.
    pub digest: Digest,
    /// Votes in the winning group.
    pub votes: usize,
}

/// One election: votes grouped by digest, in the order the groups first appeared.
#[derive(Clone, Debug)]
pub struct Ballot<V> {
    min_height: u64,
    min_votes: usize,
    /// (digest, voters with their cached remote heights).
    groups: Vec<(Digest, Vec<(V, u64)>)>,
}

impl<V: Clone> Ballot<V> {
    /// A new election discarding votes below `min_height` (bitmarkd: our local height) and
    /// requiring `min_votes` votes (bitmarkd: `(1 + minimumClients) / 2` = 3).
    pub fn new(min_height: u64, min_votes: usize) -> Self {
        Self { min_height, min_votes, groups: Vec::new() }
    }

    /// Casts `voter`'s vote for `digest`, remembering its cached `remote_height`. Votes
    /// below the minimum height are discarded; the same voter may vote twice (no dedup,
    /// as bitmarkd).
    pub fn vote(&mut self, voter: V, remote_height: u64, digest: Digest) {
        if remote_height < self.min_height {
            return;
        }
        match self.groups.iter_mut().find(|(d, _)| *d == digest) {
            Some((_, voters)) => voters.push((voter, remote_height)),
            None => self.groups.push((digest, vec![(voter, remote_height)])),
        }
    }

    /// Votes counted for `digest` (bitmarkd `NumVoteOfDigest`).
    pub fn count(&self, digest: &Digest) -> usize {
        self.groups.iter().find(|(d, _)| d == digest).map_or(0, |(_, v)| v.len())
    }

    /// The voters of the group keyed `digest`, in voting order.
    pub fn voters_of(&self, digest: &Digest) -> Vec<V> {
        let group = self.groups.iter().find(|(d, _)| d == digest);
        group.map_or_else(Vec::new, |(_, voters)| voters.iter().map(|(v, _)| v.clone()).collect())
    }

    /// Counts the votes and elects a winner.
    ///
    /// `smaller(a, b)` is bitmarkd's `a.SmallerDigestThan(b)` (the chain plugin's
    /// [`peerd_api::Chain::prefers`]); it only decides draws.
    ///
    /// # Errors
    ///
    /// A [`VoteError`] with bitmarkd's text when there is no winner.
    pub fn elect(
        &self,
        smaller: impl Fn(&Digest, &Digest) -> bool,
    ) -> Result<Elected<V>, VoteError> {
        let highest =
            self.groups.iter().map(|(_, v)| v.len()).max().ok_or(VoteError::EmptyWinner)?;
        let tied: Vec<&(Digest, Vec<(V, u64)>)> =
            self.groups.iter().filter(|(_, v)| v.len() == highest).collect();
        let first = |(digest, voters): &(Digest, Vec<(V, u64)>)| {
            voters.first().map(|(voter, height)| Elected {
                voter: voter.clone(),
                height: *height,
                digest: *digest,
                votes: voters.len(),
            })
        };
        if tied.len() == 1 {
            if highest < self.min_votes {
                return Err(VoteError::Insufficient);
            }
            return tied.first().and_then(|g| first(g)).ok_or(VoteError::EmptyWinner);
        }
        // Draw: the tied groups together must reach the minimum.
        if highest * tied.len() < self.min_votes {
            return Err(VoteError::Insufficient);
        }
        if highest == 0 {
            return Err(VoteError::ZeroCount);
        }
        let mut candidates = tied.iter().filter_map(|g| first(g));
        let mut elected = candidates.next().ok_or(VoteError::EmptyWinner)?;
        if elected.height == 0 {
            return Err(VoteError::ZeroHeight);
        }
        for candidate in candidates {
            if elected.digest.is_zero() || candidate.digest.is_zero() {
                continue;
            }
            if !smaller(&elected.digest, &candidate.digest) {
                elected = candidate;
            }
        }
        Ok(elected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(b: u8) -> Digest {
        let mut raw = [0x55; 32];
        raw[0] = b;
        Digest(raw)
    }

    fn lexicographic(a: &Digest, b: &Digest) -> bool {
        a < b
    }

    #[test]
    fn connector_vote_minimum_height_and_errors() {
        let mut ballot = Ballot::new(10, 3);
        ballot.vote("a", 9, d(1));
        assert_eq!(ballot.elect(lexicographic), Err(VoteError::EmptyWinner));
        ballot.vote("a", 10, d(1));
        ballot.vote("b", 12, d(1));
        assert_eq!(ballot.count(&d(1)), 2);
        assert_eq!(ballot.elect(lexicographic), Err(VoteError::Insufficient));
        ballot.vote("c", 11, d(1));
        let won = ballot.elect(lexicographic).unwrap();
        assert_eq!((won.voter, won.height, won.votes), ("a", 10, 3));
        assert_eq!(VoteError::Insufficient.to_string(), "votes insufficient");
    }

    #[test]
    fn connector_vote_draw_skips_zero_digests() {
        let mut ballot = Ballot::new(0, 3);
        ballot.vote("zero", 50, Digest::ZERO);
        ballot.vote("zero", 50, Digest::ZERO);
        ballot.vote("x", 40, d(9));
        ballot.vote("x", 40, d(9));
        // The comparison with an all-zero digest is skipped: the first candidate stays.
        assert_eq!(ballot.elect(lexicographic).unwrap().voter, "zero");

        let mut ballot = Ballot::new(0, 3);
        ballot.vote("h0", 0, d(9));
        ballot.vote("h0", 0, d(9));
        ballot.vote("y", 5, d(1));
        ballot.vote("y", 5, d(1));
        assert_eq!(ballot.elect(lexicographic), Err(VoteError::ZeroHeight));
    }
}
