//! The siren on a machine without a sound card: it plays into a mixer whose output the test pulls,
//! so what sounds, that it loops, that it stops on acknowledge and that silence holds are checked on
//! the samples themselves.

use std::num::NonZero;
use std::time::{Duration, Instant};

use rodio::mixer::{mixer, MixerSource};
use vigil_attention::{Siren, SirenEvent, SirenState, CHANNELS, SAMPLE_RATE};
use vigil_domain::incident::Priority;

/// The siren's volume while its alarm is not yet late.
const NORMAL: f32 = 0.6;

fn output() -> (Siren, MixerSource) {
    let (mix, out) = mixer(NonZero::new(CHANNELS).expect("channels"), NonZero::new(SAMPLE_RATE).expect("rate"));
    (Siren::with_mixer(&mix), out)
}

fn pull(out: &mut MixerSource, n: usize) -> Vec<f32> {
    out.by_ref().take(n).collect()
}

fn rms(samples: &[f32]) -> f32 {
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32).sqrt()
}

fn asset(name: &str) -> Vec<f32> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/sounds").join(name);
    let file = std::fs::File::open(&path).expect("asset");
    let decoder = rodio::Decoder::try_from(file).expect("a WAV the decoder reads");
    decoder.collect()
}

/// How alike two runs of samples are (1 = the same shape).
fn correlation(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = (a.iter().map(|x| x * x).sum::<f32>() * b.iter().map(|y| y * y).sum::<f32>()).sqrt();
    if norm == 0.0 {
        0.0
    } else {
        dot / norm
    }
}

#[test]
fn the_shipped_sounds_are_seamless_mono_loops() {
    for name in ["siren-p1.wav", "siren-p2.wav", "siren-p3.wav"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/sounds").join(name);
        let decoder = rodio::Decoder::try_from(std::fs::File::open(&path).expect("asset")).expect("decodes");
        use rodio::Source;
        assert_eq!((decoder.channels().get(), decoder.sample_rate().get()), (CHANNELS, SAMPLE_RATE), "{name}");
        let samples: Vec<f32> = decoder.collect();
        assert!(samples.len() > SAMPLE_RATE as usize, "{name} loops over more than a second");
        assert!(rms(&samples) > 0.05, "{name} is not silent");
        // The seam: going from the last sample back to the first is no bigger a step than any inside
        // the sound, so the loop does not click.
        let largest_step = samples.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0f32, f32::max);
        let seam = (samples[0] - samples[samples.len() - 1]).abs();
        assert!(seam <= largest_step, "{name}: seam step {seam} > largest step {largest_step}");
    }
}

#[test]
fn a_p1_siren_loops_until_acknowledged() {
    let (siren, mut out) = output();
    assert!(rms(&pull(&mut out, 2_000)) < 1e-6, "quiet before any alarm");

    siren.sound(Some((Priority::P1, false)));
    let p1 = asset("siren-p1.wav");
    let played = pull(&mut out, p1.len() * 3);
    assert!(rms(&played) > 0.1, "the siren sounds");
    assert!(rms(&played[2 * p1.len()..]) > 0.1, "still sounding in the third pass");
    // It is the P1 sound at the normal volume, from its first sample.
    assert!(correlation(&played[..p1.len()], &p1) > 0.99);
    for (k, (got, want)) in played.iter().zip(&p1).enumerate() {
        assert!((got - want * NORMAL).abs() < 1e-4, "sample {k}: {got} is not {want} × {NORMAL}");
    }
    // And it repeats: every pass is the first one again, sample for sample.
    for k in 0..p1.len() {
        assert_eq!(played[p1.len() + k], played[k], "second pass, sample {k}");
        assert_eq!(played[2 * p1.len() + k], played[k], "third pass, sample {k}");
    }
    assert!(correlation(&played[..p1.len()], &asset("siren-p2.wav")) < 0.5, "not the P2 sound");

    // Acknowledged: nothing waits any more, so it stops.
    siren.sound(None);
    assert!(rms(&pull(&mut out, 5_000)) < 1e-6, "silent after the acknowledgement");
    let log = siren.log();
    assert!(matches!(log.first(), Some(SirenEvent::Started { priority: 1, loud: false, .. })), "{log:?}");
    assert!(matches!(log.last(), Some(SirenEvent::Stopped { .. })), "{log:?}");
    assert_eq!(siren.state().playing, None);
}

#[test]
fn priority_switches_the_sound_and_lateness_makes_it_louder() {
    let (siren, mut out) = output();
    let (p1, p2, p3) = (asset("siren-p1.wav"), asset("siren-p2.wav"), asset("siren-p3.wav"));

    // The P1 is acknowledged while a P2 still waits: the sound changes to the P2 one.
    siren.sound(Some((Priority::P1, false)));
    assert!(correlation(&pull(&mut out, 4_000), &p1[..4_000]) > 0.99);
    siren.sound(Some((Priority::P2, false)));
    let normal = pull(&mut out, p2.len());
    assert!(correlation(&normal, &p2) > 0.99, "the P2 sound from its start");
    assert!(correlation(&normal, &p1) < 0.5, "no longer the P1 sound");

    siren.sound(Some((Priority::P2, true)));
    let loud = pull(&mut out, p2.len());
    assert!(correlation(&loud, &p2) > 0.99, "the same sound");
    assert!(rms(&loud) > rms(&normal) * 1.5, "an unacknowledged alarm gets louder");
    assert_eq!(siren.state(), SirenState { playing: Some(Priority::P2), loud: true, ..siren.state() });

    siren.sound(Some((Priority::P3, false)));
    assert!(correlation(&pull(&mut out, p3.len()), &p3) > 0.99, "the P3 chime");

    let before = siren.log().len();
    siren.sound(Some((Priority::P3, false)));
    siren.sound(Some((Priority::P3, false)));
    assert_eq!(siren.log().len(), before, "repeating the same request changes nothing");
    let started: Vec<_> = siren
        .log()
        .iter()
        .filter_map(|e| match e {
            SirenEvent::Started { priority, loud, .. } => Some((*priority, *loud)),
            _ => None,
        })
        .collect();
    assert_eq!(started, [(1, false), (2, false), (2, true), (3, false)]);
}

#[test]
fn silence_quiets_it_for_a_while_but_a_more_urgent_alarm_breaks_it() {
    let (siren, mut out) = output();
    let (p1, p2) = (asset("siren-p1.wav"), asset("siren-p2.wav"));
    siren.sound(Some((Priority::P2, false)));
    assert!(rms(&pull(&mut out, 3_000)) > 0.1);

    siren.silence_for(Duration::from_millis(400));
    assert!(rms(&pull(&mut out, 3_000)) < 1e-6, "silenced");
    assert!(siren.state().silenced_for.is_some());
    assert_eq!(siren.state().playing, None);
    assert!(matches!(siren.log().as_slice(), [.., SirenEvent::Silenced { .. }, SirenEvent::Stopped { .. }]));
    // The alarms keep asking (the console does once a second): the same or a less urgent one stays quiet.
    siren.sound(Some((Priority::P2, true)));
    siren.sound(Some((Priority::P3, false)));
    assert!(rms(&pull(&mut out, 3_000)) < 1e-6, "no more urgent than what was silenced");
    siren.sound(Some((Priority::P2, false)));

    // When the silence is over it sounds again by itself, without another call.
    std::thread::sleep(Duration::from_millis(600));
    assert!(correlation(&pull(&mut out, p2.len()), &p2) > 0.99, "the P2 sound again, from its start");
    assert_eq!(siren.state().silenced_for, None);
    assert!(matches!(siren.log().last(), Some(SirenEvent::Started { priority: 2, .. })));

    // Silenced for a minute, then a new P1 comes in: operators must hear it at once.
    siren.silence_for(Duration::from_secs(60));
    assert!(rms(&pull(&mut out, 3_000)) < 1e-6);
    siren.sound(Some((Priority::P1, false)));
    assert!(correlation(&pull(&mut out, p1.len()), &p1) > 0.99, "a new P1 is heard through the silence");
    assert_eq!(siren.state().silenced_for, None, "the silence is over");
    let silenced = siren.log().iter().filter(|e| matches!(e, SirenEvent::Silenced { .. })).count();
    assert_eq!(silenced, 2);
}

#[test]
fn without_a_sound_card_the_siren_still_keeps_its_log() {
    // This machine has no sound card: opening it fails on the siren's own thread, never here.
    let siren = Siren::open_default();
    siren.sound(Some((Priority::P3, false)));
    assert_eq!(siren.state().playing, Some(Priority::P3), "it plays as far as anyone can tell");
    siren.sound(None);
    let log = siren.log();
    assert!(matches!(log.as_slice(), [SirenEvent::Started { priority: 3, .. }, SirenEvent::Stopped { .. }]), "{log:?}");

    // Whether a sound card was found is known soon after, and said in the state.
    let deadline = Instant::now() + Duration::from_secs(10);
    while siren.state().output == "opening the sound card" && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = siren.state().output;
    assert!(output == "sound card" || output.starts_with("no sound output"), "{output}");
}
