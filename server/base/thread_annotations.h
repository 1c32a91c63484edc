// Thread-safety annotations, checked by clang's -Wthread-safety (the top
// CMakeLists.txt turns it on, as an error, wherever clang compiles), and the
// annotated Mutex and MutexLock that the checked state lives behind.
//
// Owns: the attribute macros (CAPABILITY, SCOPED_CAPABILITY, GUARDED_BY,
// PT_GUARDED_BY, REQUIRES, ACQUIRE, RELEASE, TRY_ACQUIRE, EXCLUDES,
// NO_THREAD_SAFETY_ANALYSIS), Mutex (a std::mutex the analysis knows as a
// capability) and MutexLock (a scoped guard over it, like std::lock_guard).
//
// Promises: under clang, a read or write of a member declared GUARDED_BY(mu)
// and a call to a function declared REQUIRES(mu) compile only where the
// analysis sees `mu` held (a MutexLock in scope, or the caller's own
// REQUIRES); an unbalanced lock or unlock does not compile either. On other
// compilers the macros are empty and Mutex and MutexLock behave as
// std::mutex and std::lock_guard, at the same cost. The analysis is static
// and intraprocedural: it checks what the annotations say, not that they are
// complete (an unannotated member is not checked), and it does not follow a
// pointer to guarded state once it has escaped the lock.
//
// Mutex meets BasicLockable and Lockable (lock, unlock, try_lock), so it also
// works with std::unique_lock and std::condition_variable_any; code that uses
// those is not checked, so prefer MutexLock.
//
// The names and meanings follow clang's documentation
// (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html) and Abseil's
// absl/base/thread_annotations.h.
#pragma once

#include <mutex>

#if defined(__clang__)
#define ROOMCHAT_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define ROOMCHAT_THREAD_ANNOTATION(x)  // no-op
#endif

// A class whose objects are capabilities (a mutex); x names the kind.
#define CAPABILITY(x) ROOMCHAT_THREAD_ANNOTATION(capability(x))
// An RAII class that holds a capability for its lifetime.
#define SCOPED_CAPABILITY ROOMCHAT_THREAD_ANNOTATION(scoped_lockable)
// The member is read and written only with the capability held.
#define GUARDED_BY(x) ROOMCHAT_THREAD_ANNOTATION(guarded_by(x))
// What the member points to is read and written only with the capability held.
#define PT_GUARDED_BY(x) ROOMCHAT_THREAD_ANNOTATION(pt_guarded_by(x))
// The caller must hold the capabilities (exclusively) to call the function.
#define REQUIRES(...) ROOMCHAT_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
// The function acquires / releases the capabilities (none named: `this`).
#define ACQUIRE(...) ROOMCHAT_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) ROOMCHAT_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
// The function acquires the capabilities when it returns the first argument.
#define TRY_ACQUIRE(...) ROOMCHAT_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// The caller must not hold the capabilities (the function takes them).
#define EXCLUDES(...) ROOMCHAT_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// Turns the analysis off for one function; say why where it is used.
#define NO_THREAD_SAFETY_ANALYSIS ROOMCHAT_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace roomchat {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return mu_.try_lock(); }

 private:
  std::mutex mu_;
};

// Holds `mu` from construction to destruction, except between an Unlock()
// and the next Lock() (for the one place that waits with the lock released).
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() {
    if (held_) mu_.unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // REQUIRES: held (the analysis checks it).
  void Unlock() RELEASE() {
    mu_.unlock();
    held_ = false;
  }
  // REQUIRES: not held (the analysis checks it).
  void Lock() ACQUIRE() {
    mu_.lock();
    held_ = true;
  }

 private:
  Mutex& mu_;
  bool held_ = true;
};

}  // namespace roomchat
