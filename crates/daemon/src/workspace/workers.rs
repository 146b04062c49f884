//! A few threads that run jobs while the caller makes them.
//!
//! The store has one connection, so reading it is one thread's work; what
//! is made from what it reads (a release's page, a scope's feeds) is
//! independent from one job to the next. So the caller reads and hands jobs
//! over a bounded channel, and [`parallelism`] threads render and write
//! them meanwhile: both cores stay busy, and memory holds a few jobs, not
//! all of them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};

use super::{lock, parallelism};

/// Runs `work` with a sender of jobs that `run` does on [`parallelism`]
/// threads meanwhile, at most `queued` of them waiting. Returns what `work`
/// returned and the sum of what the jobs returned (files written), or the
/// first error: `work`'s, else the first job's. A failed job does not stop
/// the others.
///
/// The threads stop once every sender is dropped and they have done every
/// job sent: `work` may clone the sender, but must not keep the clone.
pub(super) fn with_workers<J: Send, T>(
    queued: usize,
    run: impl Fn(J) -> anyhow::Result<usize> + Sync,
    work: impl FnOnce(&mpsc::SyncSender<J>) -> anyhow::Result<T>,
) -> anyhow::Result<(T, usize)> {
    let (sender, receiver) = mpsc::sync_channel::<J>(queued);
    let receiver = Mutex::new(receiver);
    let files = AtomicUsize::new(0);
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let result = std::thread::scope(|scope| {
        for _ in 0..parallelism() {
            scope.spawn(|| {
                loop {
                    let next = lock(&receiver).recv();
                    let Ok(job) = next else { break };
                    match run(job) {
                        Ok(written) => {
                            files.fetch_add(written, Ordering::Relaxed);
                        }
                        Err(error) => {
                            lock(&failure).get_or_insert(error);
                        }
                    }
                }
            });
        }
        let result = work(&sender);
        // Ends the threads once they have taken what was sent.
        drop(sender);
        result
    });
    let value = result?;
    if let Some(error) = failure
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        return Err(error);
    }
    Ok((value, files.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_sent_is_done_and_counted() {
        let done = Mutex::new(Vec::new());
        let (value, files) = with_workers(
            2,
            |n: usize| {
                lock(&done).push(n);
                Ok(n)
            },
            |jobs| {
                for n in 1..=100 {
                    jobs.send(n).expect("the threads take every job");
                }
                Ok("made")
            },
        )
        .expect("no job fails");
        assert_eq!(value, "made");
        assert_eq!(files, 5050);
        let mut done = done.into_inner().expect("no panic");
        done.sort_unstable();
        assert_eq!(done, (1..=100).collect::<Vec<_>>());
    }

    #[test]
    fn a_failed_job_is_reported_after_the_others_are_done() {
        let done = AtomicUsize::new(0);
        let result = with_workers(
            1,
            |n: usize| {
                if n == 3 {
                    anyhow::bail!("job {n} failed");
                }
                done.fetch_add(1, Ordering::Relaxed);
                Ok(1)
            },
            |jobs| {
                for n in 0..10 {
                    jobs.send(n).expect("the threads take every job");
                }
                Ok(())
            },
        );
        let error = result.expect_err("a job failed");
        assert_eq!(error.to_string(), "job 3 failed");
        assert_eq!(done.into_inner(), 9);
    }

    #[test]
    fn the_callers_error_comes_first() {
        let result = with_workers(
            1,
            |_: ()| anyhow::bail!("the job's error"),
            |jobs| -> anyhow::Result<()> {
                jobs.send(()).expect("the threads take every job");
                anyhow::bail!("the caller's error")
            },
        );
        assert_eq!(
            result.expect_err("both failed").to_string(),
            "the caller's error"
        );
    }
}
