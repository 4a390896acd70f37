//! A deterministic sRGB ICC profile (version 2, display class, matrix/TRC), generated in code
//! for the PDF/A OutputIntent; how the profile is attached to the document is left to
//! `document.rs`.
//!
//! ISO 19005-2 §6.2.3 wants an embedded output profile of class `mntr` or `prtr`; a v2
//! profile is readable by every PDF/A validator and colour engine. Values follow
//! IEC 61966-2-1 (sRGB) with the primaries adapted to the D50 PCS white (Bradford), as in the
//! ICC's own sRGB profiles.

/// Fixed creation date written in the header (no clock: identical bytes on every run).
const PROFILE_DATE: [u16; 6] = [2026, 1, 1, 0, 0, 0];

/// D50, the profile connection space illuminant (ICC.1:2001-04 §6.3.4.3).
const D50: [f64; 3] = [0.9642, 1.0, 0.8249];

const RED: [f64; 3] = [0.436_074_7, 0.222_504_5, 0.013_932_2];
const GREEN: [f64; 3] = [0.385_064_9, 0.716_878_6, 0.097_104_5];
const BLUE: [f64; 3] = [0.143_080_4, 0.060_616_9, 0.714_173_3];

/// Entries of the sampled tone curve; 1024 keeps the error far below one 8-bit step.
const CURVE_POINTS: usize = 1024;

/// The description, also used as the OutputIntent's /OutputConditionIdentifier.
pub const SRGB_DESCRIPTION: &str = "sRGB IEC61966-2.1";

/// Number of colour components of the profile (/N of the ICC stream).
pub const SRGB_COMPONENTS: i64 = 3;

fn s15fixed16(value: f64) -> [u8; 4] {
    ((value * 65536.0).round() as i32).to_be_bytes()
}

fn xyz_tag(xyz: [f64; 3]) -> Vec<u8> {
    let mut tag = b"XYZ \0\0\0\0".to_vec();
    for v in xyz {
        tag.extend_from_slice(&s15fixed16(v));
    }
    tag
}

/// textDescriptionType (ICC.1:2001-04 §6.5.17): ASCII part, empty Unicode and ScriptCode
/// parts.
fn desc_tag(text: &str) -> Vec<u8> {
    let mut tag = b"desc\0\0\0\0".to_vec();
    tag.extend_from_slice(&(text.len() as u32 + 1).to_be_bytes());
    tag.extend_from_slice(text.as_bytes());
    tag.push(0);
    tag.extend_from_slice(&[0; 4]); // Unicode language code
    tag.extend_from_slice(&[0; 4]); // Unicode count
    tag.extend_from_slice(&[0; 2]); // ScriptCode code
    tag.push(0); // ScriptCode count
    tag.extend_from_slice(&[0; 67]);
    tag
}

fn text_tag(text: &str) -> Vec<u8> {
    let mut tag = b"text\0\0\0\0".to_vec();
    tag.extend_from_slice(text.as_bytes());
    tag.push(0);
    tag
}

/// The sRGB electro-optical transfer function sampled into a `curv` tag.
fn trc_tag() -> Vec<u8> {
    let mut tag = b"curv\0\0\0\0".to_vec();
    tag.extend_from_slice(&(CURVE_POINTS as u32).to_be_bytes());
    for i in 0..CURVE_POINTS {
        let v = i as f64 / (CURVE_POINTS - 1) as f64;
        let linear = if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        };
        let sample = (linear * 65535.0).round().clamp(0.0, 65535.0) as u16;
        tag.extend_from_slice(&sample.to_be_bytes());
    }
    tag
}

/// Builds the profile bytes.
pub fn srgb_profile() -> Vec<u8> {
    let trc = trc_tag();
    // The three TRC entries share one data block, which ICC allows.
    let tags: Vec<([u8; 4], Vec<u8>)> = vec![
        (*b"desc", desc_tag(SRGB_DESCRIPTION)),
        (*b"cprt", text_tag("No copyright, use freely")),
        (*b"wtpt", xyz_tag(D50)),
        (*b"rXYZ", xyz_tag(RED)),
        (*b"gXYZ", xyz_tag(GREEN)),
        (*b"bXYZ", xyz_tag(BLUE)),
        (*b"rTRC", trc.clone()),
        (*b"gTRC", trc.clone()),
        (*b"bTRC", trc),
    ];
    let table_len = 4 + 12 * tags.len();
    let mut data: Vec<u8> = Vec::new();
    let mut entries: Vec<([u8; 4], u32, u32)> = Vec::new();
    let mut shared: Vec<(Vec<u8>, u32)> = Vec::new();
    for (sig, body) in &tags {
        let offset = match shared.iter().find(|(b, _)| b == body) {
            Some((_, at)) => *at,
            None => {
                data.resize(data.len().div_ceil(4) * 4, 0);
                let at = (128 + table_len + data.len()) as u32;
                data.extend_from_slice(body);
                shared.push((body.clone(), at));
                at
            }
        };
        entries.push((*sig, offset, body.len() as u32));
    }
    data.resize(data.len().div_ceil(4) * 4, 0);
    let size = (128 + table_len + data.len()) as u32;

    let mut profile = Vec::with_capacity(size as usize);
    profile.extend_from_slice(&size.to_be_bytes());
    profile.extend_from_slice(&[0; 4]); // preferred CMM: none
    profile.extend_from_slice(&[0x02, 0x10, 0, 0]); // version 2.1.0
    profile.extend_from_slice(b"mntr");
    profile.extend_from_slice(b"RGB ");
    profile.extend_from_slice(b"XYZ ");
    for part in PROFILE_DATE {
        profile.extend_from_slice(&part.to_be_bytes());
    }
    profile.extend_from_slice(b"acsp");
    profile.extend_from_slice(&[0; 4]); // primary platform: none
    profile.extend_from_slice(&[0; 4]); // flags
    profile.extend_from_slice(&[0; 4]); // device manufacturer
    profile.extend_from_slice(&[0; 4]); // device model
    profile.extend_from_slice(&[0; 8]); // device attributes
    profile.extend_from_slice(&[0; 4]); // rendering intent: perceptual
    for v in D50 {
        profile.extend_from_slice(&s15fixed16(v));
    }
    profile.extend_from_slice(b"kyso"); // profile creator
    profile.resize(128, 0);
    profile.extend_from_slice(&(tags.len() as u32).to_be_bytes());
    for (sig, offset, len) in entries {
        profile.extend_from_slice(&sig);
        profile.extend_from_slice(&offset.to_be_bytes());
        profile.extend_from_slice(&len.to_be_bytes());
    }
    profile.extend_from_slice(&data);
    profile
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_declares_a_v2_rgb_display_profile_of_its_own_size() {
        let p = srgb_profile();
        assert_eq!(
            u32::from_be_bytes(p[0..4].try_into().unwrap()) as usize,
            p.len()
        );
        assert_eq!(p[8], 2);
        assert_eq!(&p[12..16], b"mntr");
        assert_eq!(&p[16..20], b"RGB ");
        assert_eq!(&p[36..40], b"acsp");
        assert_eq!(p.len() % 4, 0);
    }

    #[test]
    fn tags_lie_inside_the_profile_on_four_byte_boundaries() {
        let p = srgb_profile();
        let count = u32::from_be_bytes(p[128..132].try_into().unwrap()) as usize;
        assert_eq!(count, 9);
        for i in 0..count {
            let e = 132 + 12 * i;
            let offset = u32::from_be_bytes(p[e + 4..e + 8].try_into().unwrap()) as usize;
            let len = u32::from_be_bytes(p[e + 8..e + 12].try_into().unwrap()) as usize;
            assert_eq!(offset % 4, 0);
            assert!(offset + len <= p.len());
        }
    }

    #[test]
    fn tone_curve_is_monotonic_from_black_to_white() {
        let tag = trc_tag();
        let samples: Vec<u16> = tag[12..]
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(samples.first(), Some(&0));
        assert_eq!(samples.last(), Some(&65535));
        assert!(samples.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn profile_is_deterministic() {
        assert_eq!(srgb_profile(), srgb_profile());
    }
}
