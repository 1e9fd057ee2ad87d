//! The storage a driver's buffers live in: a caller's slice (fixed size)
//! or, with the `alloc` feature, a `Vec` that grows on demand.

/// Bytes a [`Driver`](super::Driver) reads into or writes from.
///
/// A `&mut [u8]` never changes size: a driver over slices works in the
/// room it was given and says when it needs the transport to make room.
/// A `Vec<u8>` (feature `alloc`) grows when the driver asks, within the
/// limits it was configured with, and gives memory back once it is idle.
pub trait Buffer: AsRef<[u8]> + AsMut<[u8]> {
    /// Whether [`grow`](Self::grow) can make the storage larger. Growable
    /// storage is for machines where speed counts more than code size: the
    /// driver takes a few shortcuts there that fixed storage does without.
    const GROWS: bool = false;

    /// Makes the storage at least `len` bytes long, if it can; new bytes
    /// are zeros. Returns whether it is now that long.
    fn grow(&mut self, len: usize) -> bool {
        self.as_ref().len() >= len
    }

    /// Gives back memory beyond `len` bytes, if the storage can. Only
    /// called when none of the bytes beyond `len` matter any more.
    fn shrink(&mut self, len: usize) {
        let _ = len;
    }
}

impl Buffer for &mut [u8] {}

// Also in the core's own tests, whatever the features.
#[cfg(any(feature = "alloc", test))]
impl Buffer for alloc::vec::Vec<u8> {
    const GROWS: bool = true;

    fn grow(&mut self, len: usize) -> bool {
        if self.is_empty() && self.capacity() < len {
            // Zeroed memory from the allocator: pages the operating
            // system hands out zeroed are not written until used (an
            // inflate window only as far as data has passed through it).
            *self = alloc::vec![0; len];
        } else if self.len() < len {
            self.resize(len, 0);
        }
        true
    }

    fn shrink(&mut self, len: usize) {
        if self.len() > len {
            self.truncate(len);
            self.shrink_to(len);
        }
    }
}

/// Moves `buf[from..to]` to the front of `buf`.
///
/// On 64-bit targets the bytes move in pieces no longer than the gap,
/// which never overlap, with `memcpy`. Smaller targets move one byte at a
/// time, front to back (safe for a move towards the front): the shortest
/// code, as `copy_within` would link a `memmove` of about 1.5 KiB on
/// Cortex-M, and the move is rare (a frame cut at the buffer's end).
pub(super) fn move_to_front(buf: &mut [u8], from: usize, to: usize) {
    let len = to.saturating_sub(from);
    if from == 0 || len == 0 {
        return;
    }
    if cfg!(target_pointer_width = "64") {
        let mut done = 0;
        while done < len {
            let n = (len - done).min(from);
            let (front, back) = buf.split_at_mut((done + from).min(buf.len()));
            if let (Some(dst), Some(src)) = (front.get_mut(done..done + n), back.get(..n)) {
                dst.copy_from_slice(src);
            }
            done += n;
        }
    } else {
        for i in 0..len {
            if let Some(&byte) = buf.get(from + i) {
                if let Some(slot) = buf.get_mut(i) {
                    *slot = byte;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::move_to_front;

    #[test]
    fn moving_to_the_front_keeps_the_bytes_in_order_whatever_the_gap() {
        for from in 0..12 {
            for to in from..=12 {
                let mut buf: [u8; 12] = core::array::from_fn(|i| u8::try_from(i).unwrap());
                move_to_front(&mut buf, from, to);
                let expected: std::vec::Vec<u8> =
                    (from..to).map(|i| u8::try_from(i).unwrap()).collect();
                assert_eq!(&buf[..to - from], &expected[..], "{from}..{to}");
            }
        }
    }
}
