//! Synchronisation primitives: a spinlock and a write-once cell.
//!
//! The kernel runs on one core with interrupts disabled, so contention never
//! actually happens yet. The locks still matter: they are what lets a `static`
//! hold mutable state in safe Rust, and they stay correct once more cores or
//! interrupt handlers appear. (When interrupt handlers arrive, a lock that they
//! also take must be held with interrupts disabled, or a handler interrupting
//! the holder would spin forever.)

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// A mutual-exclusion lock that busy-waits.
pub struct SpinLock<T> {
    locked: AtomicBool,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `data` to one holder at a time, so
// sharing the lock between threads is fine as long as `T` may be sent.
unsafe impl<T: Send> Sync for SpinLock<T> {}

impl<T> SpinLock<T> {
    pub const fn new(value: T) -> Self {
        Self {
            locked: AtomicBool::new(false),
            data: UnsafeCell::new(value),
        }
    }

    /// Spins until the lock is free, then takes it.
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        // Acquire: everything the previous holder wrote before releasing is
        // visible to us.
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            // Wait with plain loads until it looks free, so the cache line is
            // not hammered with writes; `spin_loop` emits `pause`.
            while self.locked.load(Ordering::Relaxed) {
                core::hint::spin_loop();
            }
        }
        SpinLockGuard { lock: self }
    }

    /// Takes the lock if it is free, without waiting.
    pub fn try_lock(&self) -> Option<SpinLockGuard<'_, T>> {
        // Acquire, as in `lock`. No guard exists unless we took the lock
        // (dropping one releases it).
        match self
            .locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => Some(SpinLockGuard { lock: self }),
            Err(_) => None,
        }
    }

    /// Releases the lock even though a guard may still exist.
    ///
    /// # Safety
    /// Only for the panic handler: the code holding the lock will never run
    /// again (there is no unwinding), so nobody else can observe the data
    /// through the old guard.
    pub unsafe fn force_unlock(&self) {
        self.locked.store(false, Ordering::Release);
    }
}

/// Proof of holding a [`SpinLock`]; releases it when dropped.
pub struct SpinLockGuard<'a, T> {
    lock: &'a SpinLock<T>,
}

impl<T> Deref for SpinLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists, so we hold the lock: no other reference to
        // the data exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for SpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this access unique.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for SpinLockGuard<'_, T> {
    fn drop(&mut self) {
        // Release: our writes become visible to the next holder.
        self.lock.locked.store(false, Ordering::Release);
    }
}

/// A value that is written exactly once and then only read (like
/// `std::sync::OnceLock`).
pub struct Once<T> {
    state: AtomicU8,
    value: UnsafeCell<MaybeUninit<T>>,
}

const EMPTY: u8 = 0;
const WRITING: u8 = 1;
const READY: u8 = 2;

// SAFETY: the value is written once, before READY is published, and only
// shared references are handed out afterwards.
unsafe impl<T: Send + Sync> Sync for Once<T> {}

impl<T> Once<T> {
    pub const fn new() -> Self {
        Self {
            state: AtomicU8::new(EMPTY),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// Stores `value`, or returns it back if the cell was already set.
    pub fn set(&self, value: T) -> Result<&T, T> {
        if self
            .state
            .compare_exchange(EMPTY, WRITING, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return Err(value);
        }
        // SAFETY: we won the EMPTY -> WRITING transition, so we are the only
        // writer and no reader exists yet (readers wait for READY).
        unsafe { (*self.value.get()).write(value) };
        self.state.store(READY, Ordering::Release);
        Ok(self.get().expect("just initialised"))
    }

    /// The value, if it has been set.
    pub fn get(&self) -> Option<&T> {
        if self.state.load(Ordering::Acquire) == READY {
            // SAFETY: READY is published only after the value was written, and
            // it is never written again.
            Some(unsafe { (*self.value.get()).assume_init_ref() })
        } else {
            None
        }
    }
}

impl<T> Default for Once<T> {
    fn default() -> Self {
        Self::new()
    }
}
