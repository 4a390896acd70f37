//! The threads that make signHash's HSM signatures (one per core by default, each with a
//! session of its own), each taking the next call from one queue as soon as it is done with
//! the last. While calls are
//! waiting, every session is signing: no hand-off through the async runtime and a blocking
//! thread between two signatures, and no signature thread waits for the audit log's commit
//! (the caller writes the entry elsewhere; see `server::csc`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of named threads running submitted jobs in order of submission.
pub struct HsmThreads {
    queue: Sender<Job>,
    threads: usize,
}

impl std::fmt::Debug for HsmThreads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HsmThreads")
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// No thread is there to run the job: none could be started.
#[derive(Debug, thiserror::Error)]
#[error("no HSM signing thread is running")]
pub struct NoThreads;

impl HsmThreads {
    /// Starts `count` threads (at least one). The threads end when the last handle to the
    /// queue is dropped and the jobs already queued are done.
    pub fn start(count: usize) -> HsmThreads {
        let (queue, jobs) = channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        let threads = (0..count.max(1))
            .filter(|i| {
                let jobs = Arc::clone(&jobs);
                let started = std::thread::Builder::new()
                    .name(format!("kyso-hsm-{i}"))
                    .spawn(move || run(&jobs));
                if let Err(error) = &started {
                    tracing::error!(%error, "cannot start an HSM signing thread");
                }
                started.is_ok()
            })
            .count();
        HsmThreads { queue, threads }
    }

    /// How many threads run jobs.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Queues `job` for the next free thread. The job runs even if the caller stops waiting
    /// for what it sends back; a job that panics is logged and its thread goes on.
    pub fn submit(&self, job: impl FnOnce() + Send + 'static) -> Result<(), NoThreads> {
        // With no thread started, nothing holds the receiving end and the send fails.
        self.queue.send(Box::new(job)).map_err(|_| NoThreads)
    }
}

fn run(jobs: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held only while waiting for the next job, never while running one.
        let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = next else {
            return;
        };
        if catch_unwind(AssertUnwindSafe(job)).is_err() {
            tracing::error!("an HSM signing job panicked; its caller gets a server error");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn every_job_runs_on_one_of_the_threads() {
        let threads = HsmThreads::start(3);
        assert_eq!(threads.threads(), 3);
        let (done, finished) = channel();
        for i in 0..30 {
            let done = done.clone();
            threads
                .submit(move || {
                    let name = std::thread::current().name().map(str::to_owned);
                    done.send((i, name)).unwrap();
                })
                .unwrap();
        }
        let mut seen: Vec<(usize, Option<String>)> = (0..30)
            .map(|_| finished.recv_timeout(Duration::from_secs(10)).unwrap())
            .collect();
        seen.sort();
        assert_eq!(
            seen.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            (0..30).collect::<Vec<_>>()
        );
        assert!(
            seen.iter()
                .all(|(_, name)| name.as_deref().is_some_and(|n| n.starts_with("kyso-hsm-")))
        );
    }

    #[test]
    fn a_panicking_job_drops_its_answer_and_the_thread_goes_on() {
        let threads = HsmThreads::start(1);
        let (answer, answered) = channel::<u32>();
        threads
            .submit(move || {
                let _answer = answer;
                panic!("a job that fails");
            })
            .unwrap();
        assert!(answered.recv_timeout(Duration::from_secs(10)).is_err());
        let ran = Arc::new(AtomicUsize::new(0));
        let (done, finished) = channel();
        let counter = Arc::clone(&ran);
        threads
            .submit(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                done.send(()).unwrap();
            })
            .unwrap();
        finished.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_threads_end_when_the_queue_is_dropped() {
        let threads = HsmThreads::start(2);
        let (done, finished) = channel();
        threads
            .submit(move || {
                std::thread::sleep(Duration::from_millis(50));
                done.send(()).unwrap();
            })
            .unwrap();
        drop(threads);
        // The job queued before the drop still runs.
        finished.recv_timeout(Duration::from_secs(10)).unwrap();
    }
}
