//! The registry service: the operator's registry (a normal home's `registry.db` and
//! `params/`) behind the versioned JSON API of [`zkconsent::remote::wire`].
//!
//! Grant issues and revocations are accepted only with a verifying authority proof;
//! record anchorings only from a custodian holding a token ([`CustodianTokens`]). Every write
//! is idempotent: a retry answers the first outcome (200) instead of acting again (201).
//! Mutation times come from the service's clock, never before the registry's latest root.
//!
//! Start it with [`run`] (blocking, until SIGTERM or ctrl-c: the CLI), [`start`] (on a
//! background thread, stopped by the returned handle: tests and the demo), or [`serve`] /
//! [`serve_until`] on a runtime of your own.
//!
//! Files: `state` (the shared registry, key and clock), `routes`, `convert` (wire types),
//! `api` (error answers), `params` (files offered), `tokens`, `metrics`.

mod api;
mod convert;
mod metrics;
mod params;
mod routes;
mod state;
mod tokens;

pub use tokens::{CustodianTokens, TokensError, MIN_TOKEN_BYTES};

use std::{
    future::Future,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
};
use tokio::net::TcpListener;
use zkconsent::{prover::ProverError, registry::RegistryError};

/// How the service runs.
#[derive(Debug, Default)]
pub struct RegistryServiceConfig {
    /// Custodians allowed to anchor record leaves; `None` disables `POST /v1/records`.
    pub custodian_tokens: Option<CustodianTokens>,
}

/// Why the service could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The params directory could not be read or a key is unusable.
    #[error("params: {0}")]
    Params(#[from] ProverError),
    /// A params file could not be read or does not hash to the manifest's value.
    #[error("params file {name}: {reason}")]
    ParamsFile {
        /// The file name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The grant-authority verifying key does not decode.
    #[error("grant-authority verifying key: {0}")]
    Key(String),
    /// The registry could not be opened.
    #[error("registry: {0}")]
    Registry(#[from] RegistryError),
    /// The registry's depth is not the params'.
    #[error("registry depth {registry} differs from params depth {params}")]
    DepthMismatch {
        /// The registry's depth.
        registry: usize,
        /// The params' depth.
        params: usize,
    },
    /// The custodian token file was refused.
    #[error(transparent)]
    Tokens(#[from] TokensError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address given.
        addr: String,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The runtime or the server failed.
    #[error("registry service: {0}")]
    Io(#[from] std::io::Error),
    /// The service's thread ended abnormally.
    #[error("registry service thread panicked")]
    Panicked,
}

/// An opened registry service, not yet listening.
pub struct RegistryService {
    state: Arc<state::State>,
}

impl std::fmt::Debug for RegistryService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryService")
            .field("depth", &self.state.depth)
            .finish_non_exhaustive()
    }
}

impl RegistryService {
    /// Opens the operator's home `home_dir`: its params (every file hashed and checked
    /// against the manifest), its registry and the grant-authority key. Blocking.
    ///
    /// # Errors
    ///
    /// See [`ServiceError`].
    pub fn open(home_dir: &Path, config: RegistryServiceConfig) -> Result<Self, ServiceError> {
        let state = state::State::open(home_dir, config.custodian_tokens)?;
        Ok(Self {
            state: Arc::new(state),
        })
    }

    /// The service's routes, ready for `axum::serve`.
    pub fn router(&self) -> axum::Router {
        routes::router(Arc::clone(&self.state))
    }

    /// Serves on `listener` until `shutdown` completes, then finishes the requests under
    /// way.
    ///
    /// # Errors
    ///
    /// [`ServiceError::Io`] if the server fails.
    pub async fn serve_until(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServiceError> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }
}

/// Opens the home and serves on `listener` until `shutdown` completes.
///
/// # Errors
///
/// See [`ServiceError`].
pub async fn serve_until(
    home_dir: PathBuf,
    listener: TcpListener,
    config: RegistryServiceConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServiceError> {
    // Opening hashes every params file: off the async workers.
    let service = tokio::task::spawn_blocking(move || RegistryService::open(&home_dir, config))
        .await
        .map_err(|_| ServiceError::Panicked)??;
    service.serve_until(listener, shutdown).await
}

/// Opens the home and serves on `listener` until SIGTERM or ctrl-c.
///
/// # Errors
///
/// See [`ServiceError`].
pub async fn serve(
    home_dir: PathBuf,
    listener: TcpListener,
    config: RegistryServiceConfig,
) -> Result<(), ServiceError> {
    serve_until(home_dir, listener, config, stop_signal()).await
}

/// Completes on SIGTERM or ctrl-c (SIGINT). If a handler cannot be installed, that signal is
/// left to its default action (which ends the process) rather than stopping the service now.
pub async fn stop_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, ServiceError> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

async fn bind(listen: &str) -> Result<TcpListener, ServiceError> {
    TcpListener::bind(listen)
        .await
        .map_err(|source| ServiceError::Bind {
            addr: listen.to_owned(),
            source,
        })
}

/// The CLI's entry: opens the home, binds `listen` (port 0: a free port), calls
/// `on_listening` with the bound address, and serves until SIGTERM or ctrl-c. Blocking.
///
/// # Errors
///
/// See [`ServiceError`].
pub fn run(
    home_dir: &Path,
    listen: &str,
    config: RegistryServiceConfig,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<(), ServiceError> {
    let service = RegistryService::open(home_dir, config)?;
    let runtime = runtime()?;
    runtime.block_on(async move {
        let listener = bind(listen).await?;
        on_listening(listener.local_addr()?);
        service.serve_until(listener, stop_signal()).await
    })
}

/// A registry service running on a background thread; dropping it stops the service.
pub struct RunningRegistry {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServiceError>>>,
}

impl std::fmt::Debug for RunningRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningRegistry")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Opens the home, binds `listen` (port 0: a free port) and serves on a background thread
/// until [`RunningRegistry::stop`] (or drop). Errors in opening or binding are returned
/// here, before anything runs.
///
/// # Errors
///
/// See [`ServiceError`].
pub fn start(
    home_dir: &Path,
    listen: &str,
    config: RegistryServiceConfig,
) -> Result<RunningRegistry, ServiceError> {
    let service = RegistryService::open(home_dir, config)?;
    let runtime = runtime()?;
    let listener = runtime.block_on(bind(listen))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("registry-service".into())
        .spawn(move || {
            runtime.block_on(service.serve_until(listener, async {
                // A dropped sender stops the service as well.
                let _ = stopped.await;
            }))
        })?;
    Ok(RunningRegistry {
        addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}

impl RunningRegistry {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, the base URL clients take.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the service (requests under way finish) and waits for its thread.
    ///
    /// # Errors
    ///
    /// The server's error, if it failed.
    pub fn stop(mut self) -> Result<(), ServiceError> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> Result<(), ServiceError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread.join().map_err(|_| ServiceError::Panicked)?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningRegistry {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}
