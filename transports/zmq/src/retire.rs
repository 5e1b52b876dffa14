//! Monitors of closed upstream sockets, kept and drained until libzmq says they stopped.
//!
//! libzmq (4.3.4, Debian's) sends monitor events with a *blocking* send from its I/O thread
//! (`socket_base_t::monitor_event`). A socket's monitor is an internal PAIR bound to our
//! `inproc://` endpoint; if our end of the pair is closed while the monitored socket still
//! emits events (`CLOSED`, `CONNECT_RETRIED`, `MONITOR_STOPPED` as it shuts down), that send
//! has no peer and blocks for good, and with it the context's only I/O thread: no socket of
//! the transport connects, handshakes or reports anything again. It was seen as an upstream
//! that never reconnected after its server restarted (about 1 in 30 restarts with eight
//! tests at once). So our end of a monitor outlives its socket: it is read until libzmq sends
//! `MONITOR_STOPPED`, which is the last event it sends, from the socket's destructor.

use std::time::{Duration, Instant};

use crate::socket::{self, event};
use crate::upstream::Conn;

/// How long a retired monitor is kept waiting for `MONITOR_STOPPED`. A closed socket lingers
/// 100 ms ([`socket::LINGER_MS`]); this is only a bound for a libzmq that never says it.
const RETIRE_LIMIT: Duration = Duration::from_secs(60);

/// Most monitors kept; past it the oldest is closed (a bound, never reached in practice).
const MAX_RETIRED: usize = 4096;

/// Monitors whose sockets were closed.
#[derive(Default)]
pub(crate) struct Retired {
    monitors: Vec<(zmq::Socket, Instant)>,
}

impl Retired {
    /// Closes `conn`'s socket and keeps its monitor until the socket has stopped.
    pub(crate) fn retire(&mut self, conn: Conn, now: Instant) {
        let Conn { socket, monitor } = conn;
        drop(socket);
        if self.monitors.len() >= MAX_RETIRED {
            self.monitors.remove(0);
        }
        self.monitors.push((monitor, now));
    }

    /// True while some monitor still waits for its socket to stop.
    pub(crate) fn is_empty(&self) -> bool {
        self.monitors.is_empty()
    }

    /// Reads every retired monitor; closes those whose socket reported `MONITOR_STOPPED`
    /// and those kept past [`RETIRE_LIMIT`].
    pub(crate) fn drain(&mut self, now: Instant) {
        self.monitors.retain(|(monitor, since)| {
            while let Some(code) = socket::read_event(monitor) {
                if code == event::MONITOR_STOPPED {
                    return false;
                }
            }
            if now.saturating_duration_since(*since) >= RETIRE_LIMIT {
                tracing::debug!("zmq monitor of a closed socket never stopped; closed");
                return false;
            }
            true
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A retired monitor is kept until its socket's `MONITOR_STOPPED` arrives, then closed.
    #[test]
    fn a_retired_monitor_is_kept_until_its_socket_stops() {
        let ctx = zmq::Context::new();
        let socket = ctx.socket(zmq::REQ).unwrap();
        socket.monitor("inproc://retire-test", event::ALL).unwrap();
        let monitor = ctx.socket(zmq::PAIR).unwrap();
        monitor.connect("inproc://retire-test").unwrap();
        socket.connect("tcp://127.0.0.1:9").unwrap();
        let mut retired = Retired::default();
        let start = Instant::now();
        retired.retire(Conn { socket, monitor }, start);
        // A guard, not a timing claim: the reaper thread closes the socket in microseconds.
        let guard = start + Duration::from_secs(20);
        while !retired.is_empty() {
            assert!(Instant::now() < guard, "MONITOR_STOPPED never arrived");
            std::thread::yield_now();
            // `start` as now: the drain must close it for MONITOR_STOPPED, not for its age.
            retired.drain(start);
        }
    }
}
