//! The siren on a machine without a sound card: it plays into a mixer whose output the test pulls,
//! so what sounds, that it loops, that it stops on acknowledge and that silence holds are checked on
//! the samples themselves.

use std::num::NonZero;
use std::time::Duration;

use rodio::mixer::{mixer, MixerSource};
use vigil_attention::{Siren, SirenEvent, CHANNELS, SAMPLE_RATE};
use vigil_domain::incident::Priority;

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
        // The seam: the last and first samples are near zero, so the loop does not click.
        assert!(samples[0].abs() < 0.05 && samples[samples.len() - 1].abs() < 0.05, "{name} seam");
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
    // It is the P1 sound (at the normal volume), and it repeats: the third pass is the first one again.
    assert!(correlation(&played[..p1.len()], &p1) > 0.99);
    assert!(correlation(&played[2 * p1.len()..], &p1) > 0.99, "still playing after two loops");
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
    siren.sound(Some((Priority::P2, false)));
    let p2 = asset("siren-p2.wav");
    let normal = pull(&mut out, p2.len());
    assert!(correlation(&normal, &p2) > 0.99);
    siren.sound(Some((Priority::P2, true)));
    let loud = pull(&mut out, p2.len());
    assert!(rms(&loud) > rms(&normal) * 1.5, "an unacknowledged alarm gets louder");
    siren.sound(Some((Priority::P2, true)));
    assert_eq!(siren.log().len(), 2, "repeating the same request changes nothing");
}

#[test]
fn silence_quiets_it_for_a_while_but_a_more_urgent_alarm_breaks_it() {
    let (siren, mut out) = output();
    siren.sound(Some((Priority::P2, false)));
    siren.silence_for(Duration::from_millis(400));
    assert!(rms(&pull(&mut out, 3_000)) < 1e-6, "silenced");
    assert!(siren.state().silenced_for.is_some());
    siren.sound(Some((Priority::P2, false)));
    assert!(rms(&pull(&mut out, 3_000)) < 1e-6, "the same alarm stays silenced");
    // After the silence it sounds again by itself.
    std::thread::sleep(Duration::from_millis(600));
    assert!(rms(&pull(&mut out, 3_000)) > 0.1, "sounds again when the silence is over");

    siren.silence_for(Duration::from_secs(60));
    assert!(rms(&pull(&mut out, 3_000)) < 1e-6);
    siren.sound(Some((Priority::P1, false)));
    let p1 = asset("siren-p1.wav");
    assert!(correlation(&pull(&mut out, p1.len()), &p1) > 0.99, "a new P1 is heard through the silence");
    assert!(siren.log().iter().any(|e| matches!(e, SirenEvent::Silenced { .. })));
}

#[test]
fn without_a_sound_card_the_siren_still_keeps_its_log() {
    let siren = Siren::open_default();
    siren.sound(Some((Priority::P3, false)));
    siren.sound(None);
    let log = siren.log();
    assert!(matches!(log.as_slice(), [SirenEvent::Started { priority: 3, .. }, SirenEvent::Stopped { .. }]), "{log:?}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(!siren.state().output.is_empty());
}
