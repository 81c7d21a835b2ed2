//! The attention side of an alarm: a siren per priority that loops until the alarm is acknowledged,
//! and a desktop notification. Both are built so that they can never hold up an alarm: the siren is
//! one always-running audio source switched by atomics, and notifications go out from their own
//! thread with a time limit.
//!
//! Neither needs a sound card or a notification daemon to work: without a device the siren still
//! keeps its log of what it would play, and a failed notification is recorded, not retried.

mod notify;
mod siren;
#[cfg(feature = "test-server")]
pub mod testing;

pub use notify::{Notice, NoticeOutcome, Notifier};
pub use siren::{Siren, SirenEvent, SirenState, CHANNELS, SAMPLE_RATE};

#[cfg(test)]
mod tests {
    /// The desktop keeps one siren and one notifier in its state and uses them from a tokio task
    /// and from Tauri commands at once.
    fn shared_between_threads<T: Send + Sync + Clone + 'static>() {}

    #[test]
    fn siren_and_notifier_can_be_shared_between_threads() {
        shared_between_threads::<crate::Siren>();
        shared_between_threads::<crate::Notifier>();
    }
}
