//! systemd's service protocol: readiness, status, watchdog, reload and stop
//! notifications over `NOTIFY_SOCKET`. Without that variable (not under
//! systemd) every call is a no-op.

use std::time::Duration;

use sd_notify::NotifyState;

/// Sends states to systemd, logging (never failing) when the socket refuses.
#[derive(Debug, Clone, Copy)]
pub struct Systemd;

impl Systemd {
    fn send(&self, states: &[NotifyState<'_>]) {
        if let Err(error) = sd_notify::notify(states) {
            tracing::warn!("cannot notify systemd: {error}");
        }
    }

    pub fn ready(&self, status: &str) {
        self.send(&[NotifyState::Ready, NotifyState::Status(status)]);
    }

    pub fn status(&self, status: &str) {
        self.send(&[NotifyState::Status(status)]);
    }

    /// RELOADING=1, with the monotonic time systemd 253 and newer require.
    pub fn reloading(&self) {
        match NotifyState::monotonic_usec_now() {
            Ok(now) => self.send(&[NotifyState::Reloading, now]),
            Err(_) => self.send(&[NotifyState::Reloading]),
        }
    }

    pub fn stopping(&self) {
        self.send(&[NotifyState::Stopping]);
    }

    pub fn watchdog(&self) {
        self.send(&[NotifyState::Watchdog]);
    }

    /// How often to ping the watchdog: half its timeout, when systemd set one
    /// for this process.
    pub fn watchdog_interval(&self) -> Option<Duration> {
        sd_notify::watchdog_enabled()
            .filter(|timeout| !timeout.is_zero())
            .map(|timeout| timeout / 2)
    }
}
