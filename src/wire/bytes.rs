//! Bounds-checked big-endian reads and writes: the only way the views touch their buffers.
//!
//! A read past the end gives zeros and a write past the end is dropped, so no view can panic,
//! whatever buffer it was made over. `check_len` (run by every `new_checked`) is what guarantees
//! that the fields read are really there; these helpers only make a broken guarantee harmless.

/// `N` bytes starting at `at`, or zeros when the buffer is shorter.
pub(crate) fn array<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(s) = at.checked_add(N).and_then(|end| b.get(at..end)) {
        out.copy_from_slice(s);
    }
    out
}

/// The byte at `at`, or 0.
pub(crate) fn u8_at(b: &[u8], at: usize) -> u8 {
    b.get(at).copied().unwrap_or(0)
}

/// The big-endian 16-bit word at `at`, or 0.
pub(crate) fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes(array(b, at))
}

/// The big-endian 32-bit word at `at`, or 0.
pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(array(b, at))
}

/// `b[from..to]`, or an empty slice when the range does not fit.
pub(crate) fn slice(b: &[u8], from: usize, to: usize) -> &[u8] {
    b.get(from..to).unwrap_or(&[])
}

/// `b[from..to]` mutably, or an empty slice when the range does not fit.
pub(crate) fn slice_mut(b: &mut [u8], from: usize, to: usize) -> &mut [u8] {
    b.get_mut(from..to).unwrap_or(&mut [])
}

/// Copies `src` to `at`; does nothing when it does not fit.
pub(crate) fn put(b: &mut [u8], at: usize, src: &[u8]) {
    if let Some(d) = at.checked_add(src.len()).and_then(|end| b.get_mut(at..end)) {
        d.copy_from_slice(src);
    }
}

/// Writes one byte at `at`; does nothing when it does not fit.
pub(crate) fn put_u8(b: &mut [u8], at: usize, v: u8) {
    if let Some(d) = b.get_mut(at) {
        *d = v;
    }
}

/// Writes a big-endian 16-bit word at `at`; does nothing when it does not fit.
pub(crate) fn put_u16(b: &mut [u8], at: usize, v: u16) {
    put(b, at, &v.to_be_bytes());
}

/// Writes a big-endian 32-bit word at `at`; does nothing when it does not fit.
pub(crate) fn put_u32(b: &mut [u8], at: usize, v: u32) {
    put(b, at, &v.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_past_the_end_give_zeros() {
        let b = [1u8, 2, 3];
        assert_eq!(u16_at(&b, 1), 0x0203);
        assert_eq!(u16_at(&b, 2), 0);
        assert_eq!(u32_at(&b, 0), 0);
        assert_eq!(u8_at(&b, 3), 0);
        assert_eq!(array::<2>(&b, usize::MAX), [0, 0]);
        assert_eq!(slice(&b, 1, 3), &[2, 3]);
        assert_eq!(slice(&b, 2, 4), &[] as &[u8]);
        assert_eq!(slice(&b, 3, 1), &[] as &[u8]);
    }

    #[test]
    fn writes_past_the_end_are_dropped() {
        let mut b = [0u8; 3];
        put_u16(&mut b, 1, 0xabcd);
        put_u16(&mut b, 2, 0xffff);
        put_u32(&mut b, 0, 0xffff_ffff);
        put_u8(&mut b, 3, 9);
        put(&mut b, usize::MAX, &[1]);
        assert_eq!(b, [0, 0xab, 0xcd]);
        slice_mut(&mut b, 0, 1).copy_from_slice(&[7]);
        assert!(slice_mut(&mut b, 2, 9).is_empty());
        assert_eq!(b, [7, 0xab, 0xcd]);
    }
}
