//! `wss://` through rustls (feature `tls`): client streams trusting the
//! webpki root store or a configuration you supply, and server streams
//! from your certificate configuration.
//!
//! A server wraps each accepted `TcpStream` with [`server_stream`] and
//! hands the result to [`accept`](crate::accept) like any stream.

use crate::error::Error;
use crate::stream::Stream;
use rustls::pki_types::ServerName;
use rustls::{
    ClientConfig, ClientConnection, ConnectionCommon, RootCertStore, ServerConfig, SideData,
};
use rustls::{ServerConnection, StreamOwned};
use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};
use std::ops::DerefMut;
use std::sync::Arc;
use std::time::Duration;

/// The ring crypto provider, used for every configuration built here.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client configuration that trusts the Mozilla root store shipped in
/// `webpki-roots`.
pub fn default_client_config() -> Result<Arc<ClientConfig>, Error> {
    let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(Error::Tls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A client configuration that trusts `roots` (for a private CA, or
/// tests).
pub fn client_config_with_roots(roots: RootCertStore) -> Result<Arc<ClientConfig>, Error> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(Error::Tls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A server configuration presenting `chain` with `key`.
pub fn server_config(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, Error> {
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(Error::Tls)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(Error::Tls)?;
    Ok(Arc::new(config))
}

/// Starts TLS as a client to `host` over `tcp`. The TLS handshake runs
/// with the first read or write (the WebSocket handshake).
pub(crate) fn client_stream(
    host: &str,
    tcp: TcpStream,
    config: Option<Arc<ClientConfig>>,
) -> Result<StreamOwned<ClientConnection, TcpStream>, Error> {
    let config = match config {
        Some(config) => config,
        None => default_client_config()?,
    };
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| Error::Url(crate::url::UrlError::Host))?;
    let conn = ClientConnection::new(config, name).map_err(Error::Tls)?;
    Ok(StreamOwned::new(conn, tcp))
}

/// Starts TLS as a server over an accepted `tcp`. The TLS handshake runs
/// with the first read (the WebSocket handshake), within its deadline.
pub fn server_stream(
    config: Arc<ServerConfig>,
    tcp: TcpStream,
) -> Result<StreamOwned<ServerConnection, TcpStream>, Error> {
    let conn = ServerConnection::new(config).map_err(Error::Tls)?;
    Ok(StreamOwned::new(conn, tcp))
}

impl<C, D> Stream for StreamOwned<C, TcpStream>
where
    C: DerefMut<Target = ConnectionCommon<D>>,
    D: SideData,
{
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_read_timeout(timeout)
    }

    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_write_timeout(timeout)
    }

    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.sock.set_nodelay(nodelay)
    }

    fn shutdown(&mut self) -> io::Result<()> {
        // Say goodbye at the TLS layer first, then end TCP.
        self.conn.send_close_notify();
        let _ = self.flush();
        match self.sock.shutdown(Shutdown::Both) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        }
    }
}
