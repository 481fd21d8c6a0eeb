//! The allocator: mimalloc, counting what each thread holds, so that a policy's memory can be
//! bounded. Rhai's size limits count items, not bytes: a map of 100,000 keys of a megabyte each
//! stays within them while it holds 100 GB.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;

thread_local! {
    /// Bytes allocated on this thread less bytes freed on it. Memory freed on another thread
    /// than the one that allocated it skews both, so only growth over a stretch of one
    /// thread's work (a policy's evaluation) is meaningful.
    static HELD: Cell<isize> = const { Cell::new(0) };
}

fn count(bytes: isize) {
    // During a thread's teardown its counter may be gone: nothing to count then.
    let _ = HELD.try_with(|held| held.set(held.get().wrapping_add(bytes)));
}

/// What this thread holds, as [`HELD`] counts it.
pub fn held_by_this_thread() -> isize {
    HELD.try_with(Cell::get).unwrap_or(0)
}

/// mimalloc, counting.
pub struct Counting(pub mimalloc::MiMalloc);

// SAFETY: every call is passed to mimalloc unchanged; counting only reads sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { self.0.alloc(layout) };
        if !pointer.is_null() {
            count(layout.size() as isize);
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { self.0.alloc_zeroed(layout) };
        if !pointer.is_null() {
            count(layout.size() as isize);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { self.0.dealloc(pointer, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { self.0.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        moved
    }
}

/// Moves `items` to an allocation of exactly their size. `Vec::shrink_to_fit` is not enough for
/// what stays in memory all run: mimalloc keeps a block that shrinks by less than half, so a
/// vector grown by doubling would keep up to half of its block unused.
pub fn fit_exactly<T>(items: &mut Vec<T>) {
    if items.capacity() > items.len() {
        let mut fitted = Vec::with_capacity(items.len());
        fitted.append(items);
        *items = fitted;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_exactly_keeps_the_items_in_a_block_of_their_size() {
        let mut items = Vec::with_capacity(64);
        items.extend([3, 1, 2]);
        fit_exactly(&mut items);
        assert_eq!((items.as_slice(), items.capacity()), (&[3, 1, 2][..], 3));
    }
}
