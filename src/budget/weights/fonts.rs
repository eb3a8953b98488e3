//! Which `@font-face` files a browser downloads for some text: CSS Fonts 4 font matching
//! (§5.2: style first, then the nearest weight), then, per character, the face of that
//! family whose `unicode-range` covers it, falling back along the `font-family` list. A family
//! no `@font-face` declares is taken as not installed (a browser would try the system's);
//! a generic family ends the search without a download.

use std::collections::BTreeSet;

use super::cascade::Family;
use super::sheet::Face;

/// A face the page declares, with the index of the stylesheet URL its `src` is relative to.
#[derive(Debug, Clone, Copy)]
pub struct Declared<'s> {
    pub face: &'s Face,
    pub base: u32,
}

/// The faces downloaded to draw `chars` in `family` at `weight`/`italic`, in declaration order.
pub fn faces_for<'s>(
    declared: &[Declared<'s>],
    family: &[Family],
    weight: f32,
    italic: bool,
    chars: &BTreeSet<char>,
) -> Vec<Declared<'s>> {
    let segments: Vec<Option<Vec<Declared>>> = family
        .iter()
        .map(|f| match f {
            Family::Generic => None,
            Family::Named(name) => Some(segment(declared, name, weight, italic)),
        })
        .collect();
    let mut used: Vec<Declared> = Vec::new();
    for &c in chars {
        if c.is_whitespace() {
            continue;
        }
        for segment in &segments {
            let Some(segment) = segment else {
                // A generic family draws it.
                break;
            };
            // The last-declared face covering the character (browsers search a segmented
            // family from its end).
            if let Some(face) = segment.iter().rev().find(|d| covers(d.face, c)) {
                if !used.iter().any(|u| std::ptr::eq(u.face, face.face)) {
                    used.push(*face);
                }
                break;
            }
        }
    }
    used
}

fn covers(face: &Face, c: char) -> bool {
    let c = c as u32;
    face.ranges.is_empty() || face.ranges.iter().any(|(a, b)| (*a..=*b).contains(&c))
}

/// The faces of `name` with the style and weight font matching picks (several when a family
/// is split by `unicode-range`).
fn segment<'s>(
    declared: &[Declared<'s>],
    name: &str,
    weight: f32,
    italic: bool,
) -> Vec<Declared<'s>> {
    let family: Vec<Declared> = declared
        .iter()
        .filter(|d| d.face.family == name)
        .copied()
        .collect();
    // Style: the wanted one if the family has it, else the other.
    let styled: Vec<Declared> = if family.iter().any(|d| d.face.italic == italic) {
        family
            .into_iter()
            .filter(|d| d.face.italic == italic)
            .collect()
    } else {
        family
    };
    let Some(best) = styled
        .iter()
        .map(|d| d.face.weight)
        .min_by(|a, b| weight_distance(*a, weight).total_cmp(&weight_distance(*b, weight)))
    else {
        return Vec::new();
    };
    styled
        .into_iter()
        .filter(|d| d.face.weight == best)
        .collect()
}

/// Orders a face's weight range for a wanted weight as §5.2 does: a range containing it
/// first; for 400–500, heavier up to 500, then lighter, then heavier; below 400, lighter then
/// heavier; above 500, heavier then lighter.
fn weight_distance((lo, hi): (f32, f32), want: f32) -> f32 {
    if (lo..=hi).contains(&want) {
        return 0.0;
    }
    // Either below (hi < want) or above (lo > want).
    let (below, gap) = if hi < want {
        (true, want - hi)
    } else {
        (false, lo - want)
    };
    let tier = if (400.0..=500.0).contains(&want) {
        match (below, lo <= 500.0) {
            (false, true) => 0.0,
            (true, _) => 1.0,
            (false, false) => 2.0,
        }
    } else if want < 400.0 {
        if below { 0.0 } else { 1.0 }
    } else if below {
        1.0
    } else {
        0.0
    };
    1.0 + tier * 10_000.0 + gap
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(family: &str, weight: f32, italic: bool, ranges: Vec<(u32, u32)>) -> Face {
        Face {
            family: family.into(),
            weight: (weight, weight),
            italic,
            ranges: ranges.clone(),
            src: Some(format!("{family}-{weight}-{italic}-{ranges:?}.woff2")),
            applies: vec![true],
        }
    }

    #[test]
    fn matching() {
        let faces = [
            face("inter", 400.0, false, vec![(0x400, 0x4ff)]),
            face("inter", 400.0, false, vec![(0, 0xff)]),
            face("inter", 700.0, false, vec![(0, 0xff)]),
            face("inter", 300.0, false, vec![(0, 0xff)]),
            face("inter", 400.0, true, vec![(0, 0xff)]),
            face("icons", 900.0, false, vec![]),
        ];
        let declared: Vec<Declared> = faces
            .iter()
            .map(|face| Declared { face, base: 0 })
            .collect();
        let inter = [Family::Named("inter".into()), Family::Generic];
        let chars = |s: &str| s.chars().collect::<BTreeSet<char>>();
        let srcs = |v: Vec<Declared>| {
            v.iter()
                .map(|d| d.face.src.clone().unwrap())
                .collect::<Vec<_>>()
        };
        // Latin text at 400: the Latin face only, not the Cyrillic one.
        assert_eq!(
            srcs(faces_for(&declared, &inter, 400.0, false, &chars("Hello"))),
            [faces[1].src.clone().unwrap()]
        );
        // Both subsets for mixed text.
        assert_eq!(
            faces_for(&declared, &inter, 400.0, false, &chars("Hi Ж")).len(),
            2
        );
        // 600 (above 500): heavier first: 700.
        assert_eq!(
            srcs(faces_for(&declared, &inter, 600.0, false, &chars("a"))),
            [faces[2].src.clone().unwrap()]
        );
        // 450: 500 and below-up-to-500 first... none; lighter: 400.
        assert_eq!(
            srcs(faces_for(&declared, &inter, 450.0, false, &chars("a"))),
            [faces[1].src.clone().unwrap()]
        );
        // 200: lighter first... none; heavier: 300.
        assert_eq!(
            srcs(faces_for(&declared, &inter, 200.0, false, &chars("a"))),
            [faces[3].src.clone().unwrap()]
        );
        assert_eq!(
            srcs(faces_for(&declared, &inter, 700.0, true, &chars("a"))),
            [faces[4].src.clone().unwrap()]
        );
        // A character no subset covers: the generic family draws it.
        assert!(faces_for(&declared, &inter, 400.0, false, &chars("中")).is_empty());
        // Unknown family first: falls through to the next.
        let list = [
            Family::Named("segoe ui".into()),
            Family::Named("icons".into()),
        ];
        assert_eq!(
            faces_for(&declared, &list, 400.0, false, &chars("\u{f007}")).len(),
            1
        );
        assert!(
            faces_for(
                &declared,
                &[Family::Generic, Family::Named("icons".into())],
                400.0,
                false,
                &chars("x")
            )
            .is_empty()
        );
    }
}
