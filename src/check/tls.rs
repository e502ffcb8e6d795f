//! SSL_GET's TLS client (feature `tls`): rustls with the pure-Rust RustCrypto provider, driven
//! sans-IO. The executor owns the non-blocking socket and pumps a [`Client`]:
//!
//! ```text
//! let cfg = tls::load(&options)?;             // once per distinct Options (reads the PEM files)
//! let mut c = Client::with(&cfg, &options, server_ip)?;
//! c.write_plain(&http.start())?;              // queued until the handshake ends
//! on connect and on every writable:  write(c.outgoing())   (keep what the socket did not take)
//! on every read of n > 0 bytes:       c.incoming(&buf[..n])?; then write(c.outgoing());
//!                                     feed c.read_plain() to the HTTP dialogue
//! on EOF or c.peer_closed():          the dialogue's on_eof()
//! done, with tls_compliant:           c.close(); write(c.outgoing()); then close the socket
//! incoming() failed:                  the check fails; c.outgoing() may hold an alert to send
//! ```
//!
//! keepalived's defaults are kept: no certificate is verified (`verify: false` accepts any
//! certificate, but the handshake signatures are still checked with the server's key), no
//! session resumption, SNI only when asked for (`sni`); without it the server name is the
//! address, which rustls never sends as SNI.

use std::io::{Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// What an SSL_GET's TLS context is made of (keepalived's `SSL` block and the check's SNI).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Options {
    /// The SNI to send (`enable_sni`: `sni_name` or the virtualhost); `None`: none.
    pub sni: Option<String>,
    /// Verify the server's certificate against `ca` and its name (the SNI name or else the
    /// address). `false` is keepalived: accept any certificate.
    pub verify: bool,
    /// PEM CA certificates (used only with `verify`).
    pub ca: Option<PathBuf>,
    /// PEM client certificate chain, sent when the server asks (needs `key`).
    pub cert: Option<PathBuf>,
    /// PEM client private key (PKCS#8, SEC1 or PKCS#1; not encrypted).
    pub key: Option<PathBuf>,
}

/// A client configuration, costly to build: make one per distinct [`Options`] and share it.
pub type Config = Arc<ClientConfig>;

/// Reads the files `o` names and builds the shared configuration.
pub fn load(o: &Options) -> Result<Config, String> {
    let read = |p: &Option<PathBuf>| -> Result<Option<Vec<u8>>, String> {
        match p {
            None => Ok(None),
            Some(p) => std::fs::read(p)
                .map(Some)
                .map_err(|e| format!("{}: {e}", p.display())),
        }
    };
    let ca = if o.verify { read(&o.ca)? } else { None };
    config(
        o.verify,
        ca.as_deref(),
        read(&o.cert)?.as_deref(),
        read(&o.key)?.as_deref(),
    )
}

/// Builds a configuration from PEM text: `ca` is required with `verify` and ignored without;
/// `cert` and `key` go together.
pub fn config(
    verify: bool,
    ca: Option<&[u8]>,
    cert: Option<&[u8]>,
    key: Option<&[u8]>,
) -> Result<Config, String> {
    let provider = Arc::new(rustls_rustcrypto::provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = if verify {
        let ca = ca.ok_or("verifying needs a CA file")?;
        let mut roots = RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(ca) {
            let c = c.map_err(|e| format!("CA: {e}"))?;
            roots.add(c).map_err(|e| format!("CA: {e}"))?;
        }
        if roots.is_empty() {
            return Err("CA: no certificate".to_string());
        }
        let v = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| format!("CA: {e}"))?;
        builder.with_webpki_verifier(v)
    } else {
        let algs = provider.signature_verification_algorithms;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCert(algs)))
    };
    let mut cfg = match (cert, key) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_slice_iter(cert)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("certificate: {e}"))?;
            if chain.is_empty() {
                return Err("certificate: none in the file".to_string());
            }
            let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| format!("key: {e}"))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("key: {e}"))?
        }
        (Some(_), None) => return Err("a certificate needs a key".to_string()),
        (None, Some(_)) => return Err("a key needs a certificate".to_string()),
    };
    cfg.resumption = Resumption::disabled();
    Ok(Arc::new(cfg))
}

/// keepalived's default: any certificate is accepted; the handshake signatures are still
/// checked against the presented certificate's key.
#[derive(Debug)]
struct AnyCert(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// One TLS connection's state, bytes in, bytes out.
pub struct Client {
    conn: ClientConnection,
    /// Decrypted bytes not yet taken by [`Client::read_plain`].
    plain: Vec<u8>,
    closed: bool,
}

impl Client {
    /// Builds the configuration for `o` (reading its files) and a client on it; for many
    /// probes, [`load`] once and use [`Client::with`].
    pub fn new(o: &Options, server_ip: IpAddr) -> Result<Client, String> {
        Client::with(&load(o)?, o, server_ip)
    }

    /// A client on a shared configuration, naming the server `o.sni` (sent as SNI) or else
    /// `server_ip` (no SNI).
    pub fn with(config: &Config, o: &Options, server_ip: IpAddr) -> Result<Client, String> {
        let name = match &o.sni {
            Some(n) => ServerName::try_from(n.clone()).map_err(|e| format!("SNI {n:?}: {e}"))?,
            None => ServerName::IpAddress(server_ip.into()),
        };
        let conn = ClientConnection::new(config.clone(), name).map_err(|e| e.to_string())?;
        Ok(Client {
            conn,
            plain: Vec::new(),
            closed: false,
        })
    }

    /// Ciphertext to write now (may be empty).
    pub fn outgoing(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut out) {
                Ok(n) if n > 0 => {}
                _ => break,
            }
        }
        out
    }

    /// Feeds ciphertext read from the socket. An error is final (a failed handshake, a bad
    /// record, an alert): [`Client::outgoing`] may still hold an alert to send.
    pub fn incoming(&mut self, ciphertext: &[u8]) -> Result<(), String> {
        let mut rest = ciphertext;
        while !rest.is_empty() {
            let n = self.conn.read_tls(&mut rest).map_err(|e| e.to_string())?;
            let state = self.conn.process_new_packets().map_err(|e| e.to_string())?;
            self.closed |= state.peer_has_closed();
            self.drain();
            if n == 0 {
                break;
            }
        }
        Ok(())
    }

    /// Moves rustls's decrypted bytes to `plain`, so its bounded buffer never fills.
    fn drain(&mut self) {
        let mut buf = [0u8; 4096];
        loop {
            match self.conn.reader().read(&mut buf) {
                Ok(n) if n > 0 => self.plain.extend_from_slice(buf.get(..n).unwrap_or(&[])),
                _ => break,
            }
        }
    }

    /// Queues plaintext to send (held until the handshake ends, then encrypted by
    /// [`Client::outgoing`]).
    pub fn write_plain(&mut self, data: &[u8]) -> Result<(), String> {
        self.conn
            .writer()
            .write_all(data)
            .map_err(|e| e.to_string())
    }

    /// The decrypted bytes that arrived since the last call.
    pub fn read_plain(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.plain)
    }

    /// The server sent close_notify: no more plaintext will come.
    pub fn peer_closed(&self) -> bool {
        self.closed
    }

    /// Queues close_notify (`tls_compliant`: a TLS-compliant shutdown before closing the
    /// socket); [`Client::outgoing`] then returns it.
    pub fn close(&mut self) {
        self.conn.send_close_notify();
    }

    /// The handshake has not finished yet.
    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::server::WebPkiClientVerifier;
    use rustls::{ServerConfig, ServerConnection, SupportedProtocolVersion, version};

    const CA: &[u8] = include_bytes!("testdata/ca.pem");
    const OTHER_CA: &[u8] = include_bytes!("testdata/other-ca.pem");
    /// Signed by CA, names `test` and 127.0.0.1, server and client use.
    const CERT: &[u8] = include_bytes!("testdata/server.pem");
    const KEY: &[u8] = include_bytes!("testdata/server.key");
    const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn server(v: &'static SupportedProtocolVersion, client_auth: bool) -> ServerConnection {
        let provider = Arc::new(rustls_rustcrypto::provider());
        let b = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[v])
            .unwrap();
        let b = if client_auth {
            let mut roots = RootCertStore::empty();
            roots
                .add(CertificateDer::from_pem_slice(CA).unwrap())
                .unwrap();
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            b.with_client_cert_verifier(v)
        } else {
            b.with_no_client_auth()
        };
        let chain = vec![CertificateDer::from_pem_slice(CERT).unwrap()];
        let key = PrivateKeyDer::from_pem_slice(KEY).unwrap();
        let cfg = b.with_single_cert(chain, key).unwrap();
        ServerConnection::new(Arc::new(cfg)).unwrap()
    }

    fn client(verify: bool, ca: &[u8], sni: Option<&str>, ip: IpAddr) -> Client {
        let cfg = config(verify, Some(ca), None, None).unwrap();
        let o = Options {
            sni: sni.map(String::from),
            ..Options::default()
        };
        Client::with(&cfg, &o, ip).unwrap()
    }

    /// Moves bytes both ways until neither side has anything to say; the client's first error.
    fn pump(c: &mut Client, s: &mut ServerConnection) -> Result<(), String> {
        for _ in 0..20 {
            let out = c.outgoing();
            let mut rd = &out[..];
            while !rd.is_empty() {
                s.read_tls(&mut rd).unwrap();
                if s.process_new_packets().is_err() {
                    break;
                }
            }
            let mut back = Vec::new();
            while s.wants_write() {
                s.write_tls(&mut back).unwrap();
            }
            if out.is_empty() && back.is_empty() {
                return Ok(());
            }
            c.incoming(&back)?;
        }
        Err("pump: no end".to_string())
    }

    fn server_read(s: &mut ServerConnection) -> Vec<u8> {
        let mut v = Vec::new();
        let _ = s.reader().read_to_end(&mut v);
        v
    }

    /// An HTTP exchange after the handshake, then the server's close_notify.
    fn exchange(c: &mut Client, s: &mut ServerConnection) {
        c.write_plain(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        assert!(c.is_handshaking());
        pump(c, s).unwrap();
        assert!(!c.is_handshaking());
        assert_eq!(server_read(s), b"GET / HTTP/1.0\r\n\r\n");
        s.writer()
            .write_all(b"HTTP/1.0 200 OK\r\n\r\nhello")
            .unwrap();
        s.send_close_notify();
        assert!(!c.peer_closed());
        pump(c, s).unwrap();
        assert_eq!(c.read_plain(), b"HTTP/1.0 200 OK\r\n\r\nhello");
        assert_eq!(c.read_plain(), b"");
        assert!(c.peer_closed());
        c.close();
        let mut rd = &c.outgoing()[..];
        assert!(!rd.is_empty());
        while !rd.is_empty() {
            s.read_tls(&mut rd).unwrap();
        }
        assert!(s.process_new_packets().unwrap().peer_has_closed());
    }

    #[test]
    fn tls13_any_certificate_http() {
        // keepalived's default: the other CA would not do, but nothing is verified.
        let mut c = client(false, OTHER_CA, None, LOCAL);
        let mut s = server(&version::TLS13, false);
        exchange(&mut c, &mut s);
        assert_eq!(s.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_3));
        assert_eq!(s.server_name(), None, "no SNI unless asked for");
    }

    #[test]
    fn tls12_any_certificate_http() {
        let mut c = client(false, OTHER_CA, Some("www.example.com"), LOCAL);
        let mut s = server(&version::TLS12, false);
        exchange(&mut c, &mut s);
        assert_eq!(s.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_2));
        assert_eq!(s.server_name(), Some("www.example.com"));
    }

    #[test]
    fn sni_is_the_option() {
        for v in [&version::TLS12, &version::TLS13] {
            let mut c = client(false, CA, Some("test"), LOCAL);
            let mut s = server(v, false);
            pump(&mut c, &mut s).unwrap();
            assert!(!c.is_handshaking());
            assert_eq!(s.server_name(), Some("test"));
        }
        let o = Options {
            sni: Some("not a name".to_string()),
            ..Options::default()
        };
        let cfg = config(false, None, None, None).unwrap();
        assert!(Client::with(&cfg, &o, LOCAL).is_err());
    }

    #[test]
    fn verify_with_the_right_ca() {
        for v in [&version::TLS12, &version::TLS13] {
            // By name (SNI) and by address (the certificate names 127.0.0.1).
            for sni in [Some("test"), None] {
                let mut c = client(true, CA, sni, LOCAL);
                let mut s = server(v, false);
                exchange(&mut c, &mut s);
            }
        }
    }

    #[test]
    fn verify_fails_with_the_wrong_ca_name_or_address() {
        let cases = [
            (OTHER_CA, Some("test"), LOCAL),
            (CA, Some("other"), LOCAL),
            (CA, None, IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2))),
        ];
        for v in [&version::TLS12, &version::TLS13] {
            for (ca, sni, ip) in cases {
                let mut c = client(true, ca, sni, ip);
                let mut s = server(v, false);
                c.write_plain(b"GET / HTTP/1.0\r\n\r\n").unwrap();
                let e = pump(&mut c, &mut s).unwrap_err();
                assert!(e.contains("certificate"), "{e}");
                // The alert for the server, then nothing more.
                assert!(!c.outgoing().is_empty() || s.is_handshaking());
                assert!(server_read(&mut s).is_empty());
            }
        }
    }

    #[test]
    fn client_certificate() {
        let cfg = config(false, None, Some(CERT), Some(KEY)).unwrap();
        for v in [&version::TLS12, &version::TLS13] {
            let mut c = Client::with(&cfg, &Options::default(), LOCAL).unwrap();
            let mut s = server(v, true);
            exchange(&mut c, &mut s);
            assert_eq!(s.peer_certificates().map(<[_]>::len), Some(1));
        }
        // Without one, the server refuses.
        let mut c = client(false, CA, None, LOCAL);
        let mut s = server(&version::TLS13, true);
        c.write_plain(b"x").unwrap();
        let _ = pump(&mut c, &mut s);
        assert!(server_read(&mut s).is_empty());
    }

    #[test]
    fn config_errors() {
        assert!(config(true, None, None, None).is_err());
        assert!(config(true, Some(b"junk"), None, None).is_err());
        assert!(config(true, Some(KEY), None, None).is_err());
        assert!(config(false, None, Some(CERT), None).is_err());
        assert!(config(false, None, None, Some(KEY)).is_err());
        assert!(config(false, None, Some(CERT), Some(CERT)).is_err());
        assert!(config(false, None, Some(KEY), Some(KEY)).is_err());
        // Without verify, the CA is not even read.
        assert!(config(false, Some(b"junk"), None, None).is_ok());
        let o = Options {
            cert: Some("/nonexistent/c.pem".into()),
            key: Some("/nonexistent/k.pem".into()),
            ..Options::default()
        };
        let e = Client::new(&o, LOCAL).err().unwrap();
        assert!(e.contains("/nonexistent/c.pem"), "{e}");
        assert!(Client::new(&Options::default(), LOCAL).is_ok());
    }

    #[test]
    fn byte_at_a_time() {
        // Reads may split records anywhere: feed the server's bytes one by one.
        for v in [&version::TLS12, &version::TLS13] {
            let mut c = client(false, CA, None, LOCAL);
            let mut s = server(v, false);
            c.write_plain(b"GET /").unwrap();
            c.write_plain(b" HTTP/1.0\r\n\r\n").unwrap();
            for _ in 0..10 {
                let out = c.outgoing();
                let mut rd = &out[..];
                while !rd.is_empty() {
                    s.read_tls(&mut rd).unwrap();
                    s.process_new_packets().unwrap();
                }
                if !s.is_handshaking() && server_read(&mut s) == b"GET / HTTP/1.0\r\n\r\n" {
                    s.writer().write_all(b"HTTP/1.0 200 OK\r\n\r\n").unwrap();
                    s.send_close_notify();
                }
                let mut back = Vec::new();
                while s.wants_write() {
                    s.write_tls(&mut back).unwrap();
                }
                for b in back {
                    c.incoming(&[b]).unwrap();
                }
            }
            assert_eq!(c.read_plain(), b"HTTP/1.0 200 OK\r\n\r\n");
            assert!(c.peer_closed());
        }
    }

    #[test]
    fn short_records_after_the_handshake() {
        for v in [&version::TLS12, &version::TLS13] {
            for n in [0u8, 1, 7, 8, 9, 16, 23, 24, 25, 40] {
                let mut c = client(false, CA, None, LOCAL);
                let mut s = server(v, false);
                pump(&mut c, &mut s).unwrap();
                let mut rec = vec![0x17, 3, 3, 0, n];
                rec.resize(5 + usize::from(n), 0xaa);
                assert!(c.incoming(&rec).is_err(), "{v:?} {n}");
                assert!(c.read_plain().is_empty());
                assert!(c.incoming(b"more").is_err());
            }
        }
    }

    #[test]
    fn garbage_is_an_error() {
        let mut seed = 0x2545_f491_u32;
        let mut noise = |n: usize| -> Vec<u8> {
            (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    seed.to_le_bytes()[0]
                })
                .collect()
        };
        let mut inputs = vec![
            b"HTTP/1.0 200 OK\r\n\r\n".to_vec(),
            vec![0x16, 3, 3, 0xff, 0xff],
            vec![0x16, 3, 3, 0, 4, 2, 0, 0, 0],
            vec![0x17, 3, 3, 0, 1, 0],
            vec![0x15, 3, 3, 0, 2, 2, 40],
        ];
        for n in [1, 5, 100, 20_000] {
            inputs.push(noise(n));
        }
        for v in &inputs {
            let mut c = client(false, CA, None, LOCAL);
            let _ = c.outgoing();
            let r = c.incoming(v);
            // A prefix of a record may wait for more; anything else is refused.
            if v.len() > 5 {
                assert!(r.is_err(), "{v:?}");
            }
            let _ = c.outgoing();
            let _ = c.incoming(v);
            assert!(c.read_plain().is_empty());
        }
        // And after a finished handshake.
        let mut c = client(false, CA, None, LOCAL);
        let mut s = server(&version::TLS13, false);
        pump(&mut c, &mut s).unwrap();
        assert!(c.incoming(&noise(300)).is_err());
        assert!(c.read_plain().is_empty());
    }
}
