//! The siren: the sound of the most urgent unacknowledged alarm, looping until it is answered.
//!
//! One source plays for the life of the console and reads what to sound from shared atomics, so
//! switching, stopping and silencing never wait on the audio device (a queue-based player would).
//! The same source feeds the sound card, or a mixer a test pulls samples from.

use std::collections::VecDeque;
use std::io::Cursor;
use std::num::NonZero;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rodio::mixer::Mixer;
use rodio::{ChannelCount, SampleRate, Source};
use vigil_domain::incident::Priority;

/// The sounds shipped in `assets/sounds` (made by `scripts/make-sirens.py`): mono, 22,050 Hz.
const ASSETS: [&[u8]; 3] = [
    include_bytes!("../../../assets/sounds/siren-p1.wav"),
    include_bytes!("../../../assets/sounds/siren-p2.wav"),
    include_bytes!("../../../assets/sounds/siren-p3.wav"),
];
/// The siren's channel count: one, as the sounds are made; a test builds its mixer to match.
pub const CHANNELS: u16 = 1;
/// The siren's sample rate (the sounds' own), so a test's mixer passes samples through unchanged.
pub const SAMPLE_RATE: u32 = 22_050;
/// Volume of a siren, and of one whose alarm waited past its acknowledgement time.
const NORMAL_VOLUME: f32 = 0.6;
const LOUD_VOLUME: f32 = 1.0;
const LOG_LIMIT: usize = 1000;

/// One thing the siren did, with the wall-clock time (ms since 1970) it happened.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SirenEvent {
    /// A sound began or changed: the priority (1–3) it belongs to, and whether it is the louder one.
    Started { priority: u8, loud: bool, at_ms: i64 },
    /// The siren went quiet: nothing waits any more, or the operator silenced it.
    Stopped { at_ms: i64 },
    /// The operator pressed the silence key; it holds until `until_ms` unless something more urgent comes.
    Silenced { until_ms: i64, at_ms: i64 },
}

/// What the siren is doing now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SirenState {
    /// The priority whose sound is heard now (none while quiet or silenced).
    pub playing: Option<Priority>,
    /// Whether it is the louder sound of an alarm left unacknowledged too long.
    pub loud: bool,
    /// How much longer it stays silenced.
    pub silenced_for: Option<Duration>,
    /// "sound card", or why there is none (the siren then only keeps its log).
    pub output: String,
}

/// Decodes a shipped sound into samples; the assets are checked by the tests, so a failure here
/// is a broken build, reported as silence rather than a crash.
fn decode(bytes: &'static [u8]) -> Arc<[f32]> {
    match rodio::Decoder::new_wav(Cursor::new(bytes)) {
        Ok(decoder) => decoder.collect::<Vec<f32>>().into(),
        Err(e) => {
            eprintln!("vigil-attention: a siren sound does not decode: {e}");
            Arc::from(vec![0.0f32; 1])
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// What the audio source reads on every sample.
struct Control {
    /// 0 quiet, else the priority (1–3) whose sound plays.
    playing: AtomicU8,
    /// The volume as f32 bits.
    volume: AtomicU32,
}

/// The endless source: the chosen sound, looped, at the chosen volume, or silence.
struct SirenSource {
    control: Arc<Control>,
    sounds: [Arc<[f32]>; 3],
    current: u8,
    position: usize,
}

impl Iterator for SirenSource {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        let playing = self.control.playing.load(Ordering::Relaxed);
        if playing != self.current {
            // A new sound starts from its beginning.
            self.current = playing;
            self.position = 0;
        }
        if playing == 0 {
            return Some(0.0);
        }
        let sound = &self.sounds[usize::from(playing - 1)];
        let sample = sound[self.position % sound.len()];
        self.position = (self.position + 1) % sound.len();
        Some(sample * f32::from_bits(self.control.volume.load(Ordering::Relaxed)))
    }
}

impl Source for SirenSource {
    fn current_span_len(&self) -> Option<usize> {
        None
    }

    fn channels(&self) -> ChannelCount {
        NonZero::new(CHANNELS).unwrap_or(NonZero::<u16>::MIN)
    }

    fn sample_rate(&self) -> SampleRate {
        NonZero::new(SAMPLE_RATE).unwrap_or(NonZero::<u32>::MIN)
    }

    fn total_duration(&self) -> Option<Duration> {
        None
    }
}

struct Wanted {
    /// What the open alarms ask for.
    want: Option<(Priority, bool)>,
    /// What is sounding (after silence).
    sounding: Option<(Priority, bool)>,
    silenced_until: Option<Instant>,
    /// What was asked for when the operator silenced it: only something more urgent breaks the silence
    /// (with nothing sounding at the time, any alarm does).
    silenced_over: Option<Priority>,
}

struct Inner {
    control: Arc<Control>,
    state: Mutex<Wanted>,
    log: Mutex<VecDeque<SirenEvent>>,
    output: Mutex<String>,
}

/// The siren; cheap to clone, safe to use from any thread.
#[derive(Clone)]
pub struct Siren {
    inner: Arc<Inner>,
}

impl Siren {
    fn new(output: &str) -> (Siren, SirenSource) {
        let control = Arc::new(Control { playing: AtomicU8::new(0), volume: AtomicU32::new(NORMAL_VOLUME.to_bits()) });
        let source = SirenSource {
            control: control.clone(),
            sounds: [decode(ASSETS[0]), decode(ASSETS[1]), decode(ASSETS[2])],
            current: 0,
            position: 0,
        };
        let inner = Inner {
            control,
            state: Mutex::new(Wanted { want: None, sounding: None, silenced_until: None, silenced_over: None }),
            log: Mutex::new(VecDeque::new()),
            output: Mutex::new(output.to_owned()),
        };
        (Siren { inner: Arc::new(inner) }, source)
    }

    /// The siren on the default sound card. Without one (a server, a test machine) it says so once
    /// and goes on as a siren that only keeps its log.
    pub fn open_default() -> Siren {
        let (siren, source) = Siren::new("opening the sound card");
        let report = siren.inner.clone();
        // The device stays on its own thread for the life of the process: some audio back ends
        // must not move between threads, and nothing here ever waits for it.
        let spawned = std::thread::Builder::new().name("vigil-siren".into()).spawn(move || {
            match rodio::DeviceSinkBuilder::open_default_sink() {
                Ok(mut sink) => {
                    sink.log_on_drop(false);
                    sink.mixer().add(source);
                    *lock(&report.output) = "sound card".into();
                    loop {
                        std::thread::park();
                    }
                }
                Err(e) => {
                    eprintln!("vigil-attention: no sound output ({e}); the siren is logged but not heard");
                    *lock(&report.output) = format!("no sound output: {e}");
                }
            }
        });
        if let Err(e) = spawned {
            *lock(&siren.inner.output) = format!("no sound thread: {e}");
        }
        siren
    }

    /// The siren playing into `mixer`: what a test pulls samples from, or any other output.
    pub fn with_mixer(mixer: &Mixer) -> Siren {
        let (siren, source) = Siren::new("mixer");
        mixer.add(source);
        siren
    }

    /// Sounds `want` — the most urgent unacknowledged alarm's priority and whether it is late
    /// (louder) — or stops when none. Repeating the same call changes nothing.
    pub fn sound(&self, want: Option<(Priority, bool)>) {
        let mut state = lock(&self.inner.state);
        state.want = want;
        // Something more urgent than what was silenced sounds at once: a new P1 is always heard.
        if let (Some(_), Some((p, _))) = (state.silenced_until, want) {
            if state.silenced_over.is_none_or(|over| p < over) {
                state.silenced_until = None;
            }
        }
        self.apply(&mut state);
    }

    /// Quiets the siren for `d` (the silence key). It sounds again afterwards if alarms still wait.
    pub fn silence_for(&self, d: Duration) {
        let until = Instant::now() + d;
        {
            let mut state = lock(&self.inner.state);
            state.silenced_until = Some(until);
            state.silenced_over = state.want.map(|(p, _)| p);
            self.push(SirenEvent::Silenced {
                until_ms: now_ms() + i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
                at_ms: now_ms(),
            });
            self.apply(&mut state);
        }
        let siren = self.clone();
        let _ = std::thread::Builder::new().name("vigil-siren-silence".into()).spawn(move || {
            std::thread::sleep(d);
            let mut state = lock(&siren.inner.state);
            if state.silenced_until.is_some_and(|u| u <= Instant::now()) {
                state.silenced_until = None;
                siren.apply(&mut state);
            }
        });
    }

    fn apply(&self, state: &mut MutexGuard<'_, Wanted>) {
        if state.silenced_until.is_some_and(|u| u <= Instant::now()) {
            state.silenced_until = None;
        }
        let effective = if state.silenced_until.is_some() { None } else { state.want };
        if effective == state.sounding {
            return;
        }
        state.sounding = effective;
        match effective {
            Some((priority, loud)) => {
                let volume = if loud { LOUD_VOLUME } else { NORMAL_VOLUME };
                self.inner.control.volume.store(volume.to_bits(), Ordering::Relaxed);
                self.inner.control.playing.store(priority.level(), Ordering::Relaxed);
                self.push(SirenEvent::Started { priority: priority.level(), loud, at_ms: now_ms() });
            }
            None => {
                self.inner.control.playing.store(0, Ordering::Relaxed);
                self.push(SirenEvent::Stopped { at_ms: now_ms() });
            }
        }
    }

    fn push(&self, event: SirenEvent) {
        let mut log = lock(&self.inner.log);
        if log.len() == LOG_LIMIT {
            log.pop_front();
        }
        log.push_back(event);
    }

    /// What the siren does now, for the window's siren indicator.
    pub fn state(&self) -> SirenState {
        let state = lock(&self.inner.state);
        let now = Instant::now();
        SirenState {
            playing: state.sounding.map(|(p, _)| p),
            loud: state.sounding.is_some_and(|(_, loud)| loud),
            silenced_for: state.silenced_until.filter(|u| *u > now).map(|u| u - now),
            output: lock(&self.inner.output).clone(),
        }
    }

    /// What the siren played, stopped and silenced, oldest first (the last 1,000 events).
    pub fn log(&self) -> Vec<SirenEvent> {
        lock(&self.inner.log).iter().cloned().collect()
    }
}

/// A poisoned lock only means a panic elsewhere; the data (flags and a log) is still sound.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
