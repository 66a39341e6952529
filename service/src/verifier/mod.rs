//! The verifier service (`zkconsent serve`): custodians, insurers and researchers issue
//! requests and verify the proofs that answer them over HTTP, against their own home.
//!
//! One OS thread owns the home (the batch worker): concurrent `POST /v1/verify` calls queue up
//! and are prechecked as they arrive; while one batch's pairings run on the rayon pool (one
//! batch per statement, `zkconsent_verifier::verify_batch`, falling back to single checks to
//! name a bad proof), the next batch fills (up to [`VerifierConfig::batch_max`]). Accepted
//! requests and nullifiers are consumed in arrival order, so the first of two answers to one
//! request wins. The routes and their bodies are in [`routes`]; the terms of
//! `POST /v1/requests` in [`terms`]; the counters in [`metrics`].
//!
//! Starting it from code:
//!
//! ```no_run
//! # async fn run() -> Result<(), zkconsent_service::verifier::ServeError> {
//! use zkconsent_service::verifier::{serve, VerifierConfig};
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! serve("clinic".as_ref(), listener, VerifierConfig::default(), std::future::pending()).await
//! # }
//! ```
//!
//! or, without a runtime of one's own, [`spawn`] (a background thread; [`Running::stop`]).

mod batcher;
pub mod fixture;
pub mod metrics;
pub mod routes;
pub mod terms;

use batcher::Job;
use metrics::Metrics;
use std::{
    future::Future,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{mpsc, Arc},
    time::Duration,
};
use tokio::{net::TcpListener, sync::oneshot};
use zkconsent::{
    files::proof::MAX_PROOF_FILE_BYTES,
    home::{Home, HomeError},
    registry::RootPolicy,
    request::MAX_REQUEST_BYTES,
};

/// Most proofs checked in one batch.
pub const DEFAULT_BATCH_MAX: usize = 64;
/// Most jobs waiting for the worker; beyond it calls get 503 (back-pressure, not memory).
pub const DEFAULT_QUEUE_CAPACITY: usize = 4096;
/// How often the registry replica is synced.
pub const DEFAULT_SYNC_EVERY: Duration = Duration::from_secs(5);
/// Largest body accepted: the largest request file and proof file, and room for the JSON
/// around them.
pub const DEFAULT_MAX_BODY_BYTES: usize = MAX_REQUEST_BYTES + MAX_PROOF_FILE_BYTES + 4096;

/// How the service runs.
#[derive(Clone, Copy, Debug)]
pub struct VerifierConfig {
    /// Most proofs per batch.
    pub batch_max: usize,
    /// Most queued jobs before 503.
    pub queue_capacity: usize,
    /// Period of the registry replica sync ([`Home::sync`]).
    pub sync_every: Duration,
    /// Largest request body (413 above).
    pub max_body_bytes: usize,
    /// Root age and clock skew limits.
    pub policy: RootPolicy,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self {
            batch_max: DEFAULT_BATCH_MAX,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            sync_every: DEFAULT_SYNC_EVERY,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            policy: RootPolicy::default(),
        }
    }
}

/// Why the service could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The home could not be opened, or its keys loaded.
    #[error("{}: {source}", .dir.display())]
    Home {
        /// The home directory.
        dir: PathBuf,
        /// Why.
        source: HomeError,
    },
    /// Binding or serving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The worker thread could not start or died.
    #[error("verifier worker: {0}")]
    Worker(String),
}

/// Serves the verifier API for the home at `home_dir` on `listener` until `shutdown`
/// completes, then finishes the calls in flight and returns.
///
/// The home is opened, and every verifying key loaded, on the worker thread before the
/// first connection is accepted.
///
/// # Errors
///
/// [`ServeError`] if the home cannot be opened or the server fails.
pub async fn serve<F>(
    home_dir: &Path,
    listener: TcpListener,
    config: VerifierConfig,
    shutdown: F,
) -> Result<(), ServeError>
where
    F: Future<Output = ()> + Send + 'static,
{
    start(home_dir, config)
        .await?
        .run(listener, config, shutdown)
        .await
}

/// A worker thread that owns the open home, and the queue into it.
struct Started {
    jobs: mpsc::SyncSender<Job>,
    worker: std::thread::JoinHandle<()>,
    metrics: Arc<Metrics>,
}

/// Opens the home on a new thread, loads its keys, and leaves the thread running the batch
/// worker.
async fn start(home_dir: &Path, config: VerifierConfig) -> Result<Started, ServeError> {
    let metrics = Arc::new(Metrics::default());
    let (jobs, queue) = mpsc::sync_channel(config.queue_capacity.max(1));
    let (ready_tx, ready) = oneshot::channel();
    let dir = home_dir.to_path_buf();
    let config = VerifierConfig {
        batch_max: config.batch_max.max(1),
        ..config
    };
    let worker_metrics = Arc::clone(&metrics);
    let loopback = jobs.clone();
    let worker = std::thread::Builder::new()
        .name("zkconsent-verifier".into())
        .spawn(move || {
            let opened = Home::open(&dir).and_then(|mut home| {
                // Long-lived: tables of the input bases pay for themselves.
                home.use_input_tables();
                batcher::load_keys(&home)?;
                Ok(home)
            });
            match opened {
                Ok(home) => {
                    if ready_tx.send(Ok(())).is_ok() {
                        batcher::run(home, queue, loopback, config, worker_metrics);
                    }
                }
                Err(source) => {
                    let _ = ready_tx.send(Err(ServeError::Home { dir, source }));
                }
            }
        })?;
    match ready.await {
        Ok(Ok(())) => Ok(Started {
            jobs,
            worker,
            metrics,
        }),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(ServeError::Worker("exited while starting".into())),
    }
}

impl Started {
    /// Serves until `shutdown`, then lets the worker drain and joins it.
    async fn run<F>(
        self,
        listener: TcpListener,
        config: VerifierConfig,
        shutdown: F,
    ) -> Result<(), ServeError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let shutdown_worker = WorkerShutdown(self.jobs.clone());
        let state = routes::AppState {
            jobs: self.jobs,
            metrics: self.metrics,
        };
        let app = routes::router(state, config.max_body_bytes);
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        // No call is left: the worker finishes what is queued and in flight, then exits.
        drop(shutdown_worker);
        let worker = self.worker;
        let joined = tokio::task::spawn_blocking(move || worker.join())
            .await
            .map_err(|e| ServeError::Worker(e.to_string()))?;
        served?;
        joined.map_err(|_| ServeError::Worker("panicked".into()))
    }
}

/// Tells the worker to finish and exit when dropped, also when the serving future is dropped
/// before it completes. The worker holds a sender of its own (for its pairing results), so
/// it would never see its queue disconnect.
struct WorkerShutdown(mpsc::SyncSender<Job>);

impl Drop for WorkerShutdown {
    fn drop(&mut self) {
        // Fails only if the worker is gone already.
        let _ = self.0.send(Job::Shutdown);
    }
}

/// Resolves on ctrl-c or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, only SIGTERM (or nothing) stops the server.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Runs the service in the calling thread on a new runtime: binds `listen`, calls
/// `on_listening` with the bound address (to print it), and serves until ctrl-c or SIGTERM.
///
/// # Errors
///
/// [`ServeError`] if the runtime, the address or the home fails.
pub fn run_blocking(
    home_dir: &Path,
    listen: &str,
    config: VerifierConfig,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        // The home opens (and keys load) before the address is announced: a client that
        // reads it can connect at once.
        let started = start(home_dir, config).await?;
        on_listening(addr);
        started.run(listener, config, shutdown_signal()).await
    })
}

/// A verifier service running on a background thread ([`spawn`]).
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServeError>>>,
}

impl Running {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes the calls in flight, and waits for the service to end.
    ///
    /// # Errors
    ///
    /// How the service ended, if it failed.
    pub fn stop(mut self) -> Result<(), ServeError> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| ServeError::Worker("service thread panicked".into()))?,
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop_inner();
    }
}

/// Starts the service for the home at `home_dir` on `listen` (port 0: a free port) on a
/// background thread with its own runtime; returns once it accepts connections.
///
/// # Errors
///
/// [`ServeError`] if the address cannot be bound or the home cannot be opened.
pub fn spawn(
    home_dir: &Path,
    listen: SocketAddr,
    config: VerifierConfig,
) -> Result<Running, ServeError> {
    let listener = std::net::TcpListener::bind(listen)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), ServeError>>();
    let dir = home_dir.to_path_buf();
    let thread = std::thread::Builder::new()
        .name("zkconsent-verifier-http".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.into()));
                    return Ok(());
                }
            };
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener)?;
                let started = match start(&dir, config).await {
                    Ok(started) => started,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return Ok(());
                    }
                };
                let _ = ready_tx.send(Ok(()));
                // A dropped handle stops the service too.
                let shutdown = async move {
                    let _ = stopped.await;
                };
                started.run(listener, config, shutdown).await
            })
        })?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(Running {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => Err(match thread.join() {
            Ok(Err(e)) => e,
            _ => ServeError::Worker("service thread exited while starting".into()),
        }),
    }
}
