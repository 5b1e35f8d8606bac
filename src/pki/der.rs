//! A minimal, bounds-checked DER walker for the few container structures we
//! sniff by hand (PKCS#7 certificate sets, PKCS#12 detection, concatenated
//! DER). It never allocates and never panics on hostile lengths.

/// One tag-length-value element.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: u8,
    /// The content octets.
    pub value: &'a [u8],
    /// The whole element, header included.
    pub raw: &'a [u8],
}

/// Read one element from the front of `input`; returns it and the rest.
/// Only definite lengths of up to four octets are accepted (DER).
pub fn read(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let tag = *input.first()?;
    if tag & 0x1f == 0x1f {
        return None; // high tag numbers never occur in the structures we read
    }
    let first = *input.get(1)?;
    let (len, hdr) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *input.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    if end > input.len() {
        return None;
    }
    Some((
        Tlv {
            tag,
            value: &input[hdr..end],
            raw: &input[..end],
        },
        &input[end..],
    ))
}

/// Read all consecutive elements of `input`.
pub fn children(mut input: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (tlv, rest) = read(input)?;
        out.push(tlv);
        input = rest;
    }
    Some(out)
}

/// The first `N` elements of `input` (fewer when it holds fewer); None
/// when one of those is malformed. For fixed-shape structures: what follows
/// them is never walked, and nothing is allocated.
pub fn first<const N: usize>(mut input: &[u8]) -> Option<Fields<'_, N>> {
    let mut out = [None; N];
    for slot in out.iter_mut() {
        if input.is_empty() {
            break;
        }
        let (tlv, rest) = read(input)?;
        *slot = Some(tlv);
        input = rest;
    }
    Some(Fields(out))
}

/// The elements [`first`] read.
pub struct Fields<'a, const N: usize>([Option<Tlv<'a>>; N]);

impl<'a, const N: usize> Fields<'a, N> {
    pub fn first(&self) -> Option<&Tlv<'a>> {
        self.get(0)
    }

    pub fn get(&self, i: usize) -> Option<&Tlv<'a>> {
        self.0.get(i).and_then(Option::as_ref)
    }
}

/// The elements of `input` one at a time (a SEQUENCE OF of any length
/// costs no memory): `Some(tlv)` for each, then `None` once if an element
/// is malformed, which ends the walk.
pub fn elements(input: &[u8]) -> Elements<'_> {
    Elements {
        rest: input,
        done: false,
    }
}

/// See [`elements`].
pub struct Elements<'a> {
    rest: &'a [u8],
    done: bool,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Option<Tlv<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.rest.is_empty() {
            return None;
        }
        match read(self.rest) {
            Some((tlv, rest)) => {
                self.rest = rest;
                Some(Some(tlv))
            }
            None => {
                self.done = true;
                Some(None)
            }
        }
    }
}

pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;
pub const OID: u8 = 0x06;
pub const INTEGER: u8 = 0x02;

/// DER of OID 1.2.840.113549.1.7.2 (PKCS#7 signedData).
pub const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
/// DER of OID 1.2.840.113549.1.7.1 (PKCS#7 data), the outer content of PKCS#12.
pub const OID_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];

/// The certificates of a PKCS#7 SignedData ContentInfo, or None when the
/// input is not one. `Some(vec![])` is a valid PKCS#7 with no certificates.
/// At most [`MAX_DER_ELEMENTS`](crate::limits::MAX_DER_ELEMENTS) + 1 are
/// returned: one more than the limit means the set was cut there.
pub fn pkcs7_certificates(input: &[u8]) -> Option<Vec<&[u8]>> {
    let (ci, _) = read(input)?;
    if ci.tag != SEQUENCE {
        return None;
    }
    let parts = first::<2>(ci.value)?;
    let oid = parts.first()?;
    if oid.tag != OID || oid.value != OID_SIGNED_DATA {
        return None;
    }
    let explicit = parts.get(1)?;
    if explicit.tag != 0xa0 {
        return None;
    }
    let (sd, _) = read(explicit.value)?;
    if sd.tag != SEQUENCE {
        return None;
    }
    let mut certs = Vec::new();
    // version, digestAlgorithms, contentInfo, then [0] IMPLICIT certificates.
    for f in elements(sd.value).skip(3) {
        let f = f?;
        if f.tag == 0xa0 {
            for c in elements(f.value) {
                let c = c?;
                if c.tag == SEQUENCE {
                    certs.push(c.raw);
                    if certs.len() > crate::limits::MAX_DER_ELEMENTS {
                        return Some(certs);
                    }
                }
            }
        }
    }
    Some(certs)
}

/// Whether `input` looks like a PKCS#12 PFX: SEQUENCE { INTEGER 3, ContentInfo(data), ... }.
pub fn looks_like_pkcs12(input: &[u8]) -> bool {
    let Some((pfx, _)) = read(input) else {
        return false;
    };
    if pfx.tag != SEQUENCE {
        return false;
    }
    let Some((version, rest)) = read(pfx.value) else {
        return false;
    };
    if version.tag != INTEGER || version.value != [3] {
        return false;
    }
    let Some((auth_safe, _)) = read(rest) else {
        return false;
    };
    auth_safe.tag == SEQUENCE
        && read(auth_safe.value).is_some_and(|(oid, _)| oid.tag == OID && oid.value == OID_DATA)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_lengths_past_the_end() {
        assert!(read(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00]).is_none());
        assert!(read(&[0x30, 0x05, 0x00]).is_none());
        assert!(read(&[0x30]).is_none());
        assert!(read(&[]).is_none());
    }

    #[test]
    fn first_and_elements_walk_no_further_than_asked() {
        let input = [0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0xff];
        let two = first::<2>(&input).unwrap();
        assert_eq!(two.first().unwrap().value, [1]);
        assert_eq!(two.get(1).unwrap().value, [2]);
        assert!(two.get(2).is_none());
        assert!(first::<3>(&input).is_none());
        assert!(first::<3>(&input[..3]).unwrap().get(1).is_none());
        let all: Vec<Option<Tlv<'_>>> = elements(&input).collect();
        assert_eq!(all.len(), 3);
        assert!(all[0].is_some() && all[1].is_some() && all[2].is_none());
        assert_eq!(elements(&[]).count(), 0);
    }

    #[test]
    fn reads_short_and_long_forms() {
        let (t, rest) = read(&[0x04, 0x01, 0xaa, 0xbb]).unwrap();
        assert_eq!(t.value, &[0xaa]);
        assert_eq!(rest, &[0xbb]);
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([0u8; 0x80]);
        assert_eq!(read(&long).unwrap().0.value.len(), 0x80);
    }
}
