use super::*;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

#[test]
fn signed_note_round_trips_and_verifies() {
    let note = Note::sign(&key(1), 1_700_000_000, "hello, peers");
    let item = note.to_item();
    assert_eq!(item.kind, note_kind());
    assert_eq!(item.params.len(), 4);
    assert_eq!(&item.params[1][..], &1_700_000_000u64.to_be_bytes());
    let decoded = Note::decode(&item.params, 280).unwrap();
    assert_eq!(decoded, note);
    assert_eq!(decoded.verify(), Ok(()));
    assert_eq!(decoded.author, key(1).verifying_key().to_bytes());
}

#[test]
fn any_change_breaks_the_signature() {
    let note = Note::sign(&key(2), 42, "original");
    let mut text = note.clone();
    text.text = "origina1".into();
    let mut time = note.clone();
    time.timestamp = 43;
    let mut author = note.clone();
    author.author = key(3).verifying_key().to_bytes();
    for changed in [text, time, author] {
        assert_eq!(changed.verify(), Err(NoteError::BadSignature));
    }
}

#[test]
fn the_signature_is_domain_separated() {
    // A plain signature over the same author, time and text is not a note signature.
    let k = key(4);
    let author = k.verifying_key().to_bytes();
    let mut plain = author.to_vec();
    plain.extend_from_slice(&7u64.to_be_bytes());
    plain.extend_from_slice(b"text");
    let note =
        Note { author, timestamp: 7, text: "text".into(), signature: k.sign(&plain).to_bytes() };
    assert_eq!(note.verify(), Err(NoteError::BadSignature));
    assert!(signed_message(&author, 7, "text").starts_with(SIGNING_DOMAIN));
}

#[test]
fn framing_faults_are_named_in_frame_order() {
    let good = Note::sign(&key(5), 9, "abc").frames();
    let with = |i: usize, frame: &[u8]| {
        let mut frames = good.clone();
        frames[i] = Bytes::copy_from_slice(frame);
        Note::decode(&frames, 3)
    };
    assert_eq!(Note::decode(&good[..3], 3), Err(NoteError::FrameCount(3)));
    assert_eq!(with(0, &[0; 31]), Err(NoteError::KeyLength(31)));
    assert_eq!(with(1, &[0; 9]), Err(NoteError::TimestampLength(9)));
    assert_eq!(with(3, &[0; 63]), Err(NoteError::SignatureLength(63)));
    assert_eq!(with(2, b""), Err(NoteError::EmptyText));
    assert_eq!(with(2, b"abcd"), Err(NoteError::TextTooLong { len: 4, max: 3 }));
    assert_eq!(with(2, &[0xff, 0xfe]), Err(NoteError::NotUtf8));
    let mut bad_point = good.clone();
    // y = 2 is not on the curve: decompression fails.
    let mut y = [0u8; 32];
    y[0] = 2;
    bad_point[0] = Bytes::copy_from_slice(&y);
    assert_eq!(Note::decode(&bad_point, 3).unwrap().verify(), Err(NoteError::InvalidKey));
}

#[test]
fn decoding_mangled_frames_never_panics() {
    let good = Note::sign(&key(6), 1, "mangle me").frames();
    for frame in 0..4 {
        for cut in 0..good[frame].len() {
            let mut frames = good.clone();
            frames[frame] = good[frame].slice(..cut);
            let verdict = Note::decode(&frames, 280).and_then(|n| n.verify());
            assert!(verdict.is_err(), "frame {frame} cut at {cut}");
        }
        for bit in 0..good[frame].len() * 8 {
            let mut bytes = good[frame].to_vec();
            bytes[bit / 8] ^= 1 << (bit % 8);
            let mut frames = good.clone();
            frames[frame] = Bytes::from(bytes);
            // A flipped bit anywhere must fail decoding or verification.
            let verdict = Note::decode(&frames, 280).and_then(|n| n.verify());
            assert!(verdict.is_err(), "frame {frame} bit {bit}");
        }
    }
}

#[test]
fn rejections_become_handler_rejections_with_the_same_text() {
    let error = HandlerError::from(NoteError::TextTooLong { len: 300, max: 280 });
    assert!(
        matches!(&error, HandlerError::Rejected(t) if t == "note text is 300 bytes, more than the limit of 280")
    );
}
