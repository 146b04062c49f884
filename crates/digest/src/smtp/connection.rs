//! One SMTP session (RFC 5321): greeting, EHLO, STARTTLS or implicit TLS,
//! AUTH, then one transaction per message, pipelined (RFC 2920) when the
//! server offers it.
//!
//! The socket has TCP_NODELAY set: without it each transaction waits for
//! the peer's delayed ACK (about 40 ms on Linux), which is what limits
//! lettre 0.11 to some 22 messages a second per connection.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;

use super::{Credentials, Job, Reply, SmtpConfig, SmtpError, Tls};

/// A byte stream, plain or encrypted.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The longest reply accepted, all lines together: a server that sends more
/// is broken or hostile.
const MAX_REPLY: usize = 64 * 1024;

/// An open, authenticated session, ready for transactions.
pub(super) struct Connection {
    io: Box<dyn Io>,
    /// Bytes read and not yet consumed as replies.
    buffer: Vec<u8>,
    pipelining: bool,
    timeout: Duration,
}

/// Why a session could not be opened.
pub(super) enum ConnectError {
    /// Worth trying again later: refused, timed out, a 4xx greeting…
    Temporary(String),
    /// Trying again will not help: TLS or authentication problems.
    Fatal(SmtpError),
}

/// Why a session broke during a transaction: it must be dropped, and the
/// message sent again on a new one.
#[derive(Debug)]
pub(super) struct Broken(pub String);

/// What the server said about one message, the session being still usable.
pub(super) enum Outcome {
    /// 2xx after the message data.
    Sent,
    /// 4xx: try again later.
    Temporary(Reply),
    /// 5xx: never going to work for this recipient.
    Permanent(Reply),
    /// 5xx to MAIL FROM: the sender is refused, whoever the recipient.
    SenderRefused(Reply),
}

/// A permanent refusal of MAIL FROM concerns the sender, not the recipient.
fn sender_refused(outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::Permanent(reply) => Outcome::SenderRefused(reply),
        other => other,
    }
}

impl Connection {
    pub(super) async fn open(
        config: &SmtpConfig,
        tls: Option<&TlsConnector>,
    ) -> Result<Connection, ConnectError> {
        let temporary = |what: &str, error: &dyn std::fmt::Display| {
            ConnectError::Temporary(format!("{what} {}:{}: {error}", config.host, config.port))
        };
        let stream = tokio::time::timeout(
            config.timeout,
            TcpStream::connect((config.host.as_str(), config.port)),
        )
        .await
        .map_err(|_| temporary("timed out connecting to", &"no answer"))?
        .map_err(|error| temporary("cannot connect to", &error))?;
        stream
            .set_nodelay(true)
            .map_err(|error| temporary("cannot set TCP_NODELAY on", &error))?;

        let mut io: Box<dyn Io> = Box::new(stream);
        if config.tls == Tls::Implicit {
            io = handshake(config, tls, io).await?;
        }
        let mut connection = Connection {
            io,
            buffer: Vec::new(),
            pipelining: false,
            timeout: config.timeout,
        };
        let broken = |Broken(why)| ConnectError::Temporary(why);
        let greeting = connection.read_reply().await.map_err(broken)?;
        if greeting.code != 220 {
            return Err(ConnectError::Temporary(format!(
                "{}:{} greeted with {greeting}",
                config.host, config.port
            )));
        }
        let mut capabilities = connection.ehlo(&config.helo_name).await?;
        if config.tls == Tls::StartTls {
            if !capabilities
                .iter()
                .any(|line| line.eq_ignore_ascii_case("STARTTLS"))
            {
                return Err(ConnectError::Fatal(SmtpError::NoStartTls {
                    server: format!("{}:{}", config.host, config.port),
                }));
            }
            let reply = connection.command("STARTTLS\r\n").await.map_err(broken)?;
            if reply.code != 220 {
                return Err(ConnectError::Temporary(format!(
                    "STARTTLS refused: {reply}"
                )));
            }
            // Anything the server sent before the handshake would be read as
            // if it came over TLS (a response injection, CVE-2011-0411).
            if !connection.buffer.is_empty() {
                return Err(ConnectError::Fatal(SmtpError::Tls(
                    "the server sent data after its STARTTLS reply".to_owned(),
                )));
            }
            connection.io = handshake(config, tls, connection.io).await?;
            capabilities = connection.ehlo(&config.helo_name).await?;
        }
        connection.pipelining = capabilities
            .iter()
            .any(|line| line.eq_ignore_ascii_case("PIPELINING"));
        if let Some(credentials) = &config.credentials {
            connection.authenticate(credentials, &capabilities).await?;
        }
        Ok(connection)
    }

    /// Sends EHLO and returns the capability lines (the greeting line
    /// excluded), or falls back to HELO for servers from before 1995.
    async fn ehlo(&mut self, name: &str) -> Result<Vec<String>, ConnectError> {
        let broken = |Broken(why)| ConnectError::Temporary(why);
        let reply = self
            .command(&format!("EHLO {name}\r\n"))
            .await
            .map_err(broken)?;
        if reply.code == 250 {
            return Ok(reply.lines.into_iter().skip(1).collect());
        }
        let reply = self
            .command(&format!("HELO {name}\r\n"))
            .await
            .map_err(broken)?;
        if reply.code != 250 {
            return Err(ConnectError::Temporary(format!("HELO refused: {reply}")));
        }
        Ok(Vec::new())
    }

    async fn authenticate(
        &mut self,
        credentials: &Credentials,
        capabilities: &[String],
    ) -> Result<(), ConnectError> {
        let broken = |Broken(why)| ConnectError::Temporary(why);
        let mechanisms: Vec<String> = capabilities
            .iter()
            .filter_map(|line| {
                let upper = line.to_ascii_uppercase();
                upper
                    .strip_prefix("AUTH ")
                    .or_else(|| upper.strip_prefix("AUTH="))
                    .map(str::to_owned)
            })
            .flat_map(|list| {
                list.split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        let reply = if mechanisms.iter().any(|m| m == "PLAIN") {
            let token = STANDARD.encode(format!(
                "\0{}\0{}",
                credentials.username, credentials.password
            ));
            self.command(&format!("AUTH PLAIN {token}\r\n"))
                .await
                .map_err(broken)?
        } else if mechanisms.iter().any(|m| m == "LOGIN") {
            let mut reply = self.command("AUTH LOGIN\r\n").await.map_err(broken)?;
            for secret in [&credentials.username, &credentials.password] {
                if reply.code != 334 {
                    break;
                }
                reply = self
                    .command(&format!("{}\r\n", STANDARD.encode(secret)))
                    .await
                    .map_err(broken)?;
            }
            reply
        } else {
            return Err(ConnectError::Fatal(SmtpError::Auth(
                "the server offers neither AUTH PLAIN nor AUTH LOGIN".to_owned(),
            )));
        };
        match reply.code {
            235 => Ok(()),
            400..=499 => Err(ConnectError::Temporary(format!(
                "authentication failed for now: {reply}"
            ))),
            _ => Err(ConnectError::Fatal(SmtpError::Auth(reply.to_string()))),
        }
    }

    /// Sends one message. `Ok` leaves the session ready for the next one.
    pub(super) async fn send(&mut self, job: &Job) -> Result<Outcome, Broken> {
        let mail = format!("MAIL FROM:<{}>\r\n", job.email.envelope_sender);
        let rcpt = format!("RCPT TO:<{}>\r\n", job.email.recipient);
        let replies = if self.pipelining {
            self.write(format!("{mail}{rcpt}DATA\r\n").as_bytes())
                .await?;
            let mail = self.read_reply().await?;
            let rcpt = self.read_reply().await?;
            let data = self.read_reply().await?;
            [mail, rcpt, data]
        } else {
            let mail = self.command(&mail).await?;
            if !mail.is_positive() {
                let refusal = self.abort_transaction(mail).await?;
                return Ok(sender_refused(refusal));
            }
            let rcpt = self.command(&rcpt).await?;
            if !rcpt.is_positive() {
                return self.abort_transaction(rcpt).await;
            }
            let data = self.command("DATA\r\n").await?;
            [mail, rcpt, data]
        };
        let [mail, rcpt, data] = replies;
        for reply in [&mail, &rcpt, &data] {
            if reply.code == 421 {
                return Err(Broken(format!(
                    "the server is closing the session: {reply}"
                )));
            }
        }
        if data.code == 354 && !(mail.is_positive() && rcpt.is_positive()) {
            // A server that accepts DATA after refusing the recipient breaks
            // RFC 2920; end the empty message and do not count it.
            self.write(b".\r\n").await?;
            self.read_reply().await?;
        }
        if !mail.is_positive() {
            let refusal = self.abort_transaction(mail).await?;
            return Ok(sender_refused(refusal));
        }
        if !rcpt.is_positive() {
            return self.abort_transaction(rcpt).await;
        }
        if data.code != 354 {
            return self.abort_transaction(data).await;
        }
        self.write(&job.wire).await?;
        let reply = self.read_reply().await?;
        Ok(match reply.code {
            200..=299 => Outcome::Sent,
            421 => {
                return Err(Broken(format!(
                    "the server is closing the session: {reply}"
                )));
            }
            400..=499 => Outcome::Temporary(reply),
            _ => Outcome::Permanent(reply),
        })
    }

    /// Resets the transaction after a refusal and reports it.
    async fn abort_transaction(&mut self, refusal: Reply) -> Result<Outcome, Broken> {
        if refusal.code == 421 {
            return Err(Broken(format!(
                "the server is closing the session: {refusal}"
            )));
        }
        let reset = self.command("RSET\r\n").await?;
        if reset.code != 250 {
            return Err(Broken(format!("RSET refused: {reset}")));
        }
        Ok(if (400..500).contains(&refusal.code) {
            Outcome::Temporary(refusal)
        } else {
            Outcome::Permanent(refusal)
        })
    }

    /// Ends the session politely; errors do not matter any more.
    pub(super) async fn quit(mut self) {
        // Not worth a long wait: everything is sent.
        self.timeout = self.timeout.min(Duration::from_secs(2));
        let _ = self.command("QUIT\r\n").await;
        let _ = self.io.shutdown().await;
    }

    async fn command(&mut self, line: &str) -> Result<Reply, Broken> {
        self.write(line.as_bytes()).await?;
        self.read_reply().await
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), Broken> {
        let write = async {
            self.io.write_all(bytes).await?;
            self.io.flush().await
        };
        match tokio::time::timeout(self.timeout, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(Broken(format!("cannot write to the server: {error}"))),
            Err(_) => Err(Broken(format!(
                "timed out writing to the server after {:?}",
                self.timeout
            ))),
        }
    }

    /// Reads one reply, all its lines.
    async fn read_reply(&mut self) -> Result<Reply, Broken> {
        let timeout = self.timeout;
        match tokio::time::timeout(timeout, self.read_reply_now()).await {
            Ok(reply) => reply,
            Err(_) => Err(Broken(format!(
                "no reply from the server within {timeout:?}"
            ))),
        }
    }

    async fn read_reply_now(&mut self) -> Result<Reply, Broken> {
        let mut scanned = 0;
        loop {
            if let Some(end) = reply_end(&self.buffer, &mut scanned)? {
                let reply = Reply::parse(&self.buffer[..end])?;
                self.buffer.drain(..end);
                return Ok(reply);
            }
            if self.buffer.len() > MAX_REPLY {
                return Err(Broken("the server's reply is too long".to_owned()));
            }
            let mut chunk = [0u8; 4096];
            let read = self
                .io
                .read(&mut chunk)
                .await
                .map_err(|error| Broken(format!("cannot read from the server: {error}")))?;
            if read == 0 {
                return Err(Broken("the server closed the connection".to_owned()));
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }
}

/// The end of the first complete reply in `buffer` (after its last line's
/// LF), if there is one. `scanned` remembers the complete lines already seen.
fn reply_end(buffer: &[u8], scanned: &mut usize) -> Result<Option<usize>, Broken> {
    while let Some(newline) = buffer[*scanned..].iter().position(|&b| b == b'\n') {
        let line = &buffer[*scanned..*scanned + newline];
        *scanned += newline + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() < 3 || !line[..3].iter().all(u8::is_ascii_digit) {
            return Err(Broken(format!(
                "the server sent a malformed reply line '{}'",
                String::from_utf8_lossy(line)
            )));
        }
        // `250-…` continues, `250 …` or a bare `250` ends the reply.
        if line.get(3) != Some(&b'-') {
            return Ok(Some(*scanned));
        }
    }
    Ok(None)
}

async fn handshake(
    config: &SmtpConfig,
    tls: Option<&TlsConnector>,
    io: Box<dyn Io>,
) -> Result<Box<dyn Io>, ConnectError> {
    let connector =
        tls.ok_or_else(|| ConnectError::Fatal(SmtpError::Tls("TLS is not configured".to_owned())))?;
    let name = ServerName::try_from(config.host.clone()).map_err(|_| {
        ConnectError::Fatal(SmtpError::Tls(format!(
            "'{}' is not a host name TLS can verify",
            config.host
        )))
    })?;
    match tokio::time::timeout(config.timeout, connector.connect(name, io)).await {
        Ok(Ok(stream)) => Ok(Box::new(stream)),
        Ok(Err(error)) if error.kind() == std::io::ErrorKind::InvalidData => {
            Err(ConnectError::Fatal(SmtpError::Tls(format!(
                "{}:{}: {error}",
                config.host, config.port
            ))))
        }
        Ok(Err(error)) => Err(ConnectError::Temporary(format!(
            "TLS handshake with {}:{} failed: {error}",
            config.host, config.port
        ))),
        Err(_) => Err(ConnectError::Temporary(format!(
            "TLS handshake with {}:{} timed out",
            config.host, config.port
        ))),
    }
}

impl Reply {
    fn parse(bytes: &[u8]) -> Result<Reply, Broken> {
        let text = String::from_utf8_lossy(bytes);
        let mut code = 0;
        let mut lines = Vec::new();
        for line in text.split('\n').map(|line| line.trim_end_matches('\r')) {
            if line.is_empty() {
                continue;
            }
            code = line[..3]
                .parse()
                .map_err(|_| Broken(format!("malformed reply '{line}'")))?;
            lines.push(line.get(4..).unwrap_or("").to_owned());
        }
        Ok(Reply { code, lines })
    }

    fn is_positive(&self) -> bool {
        (200..400).contains(&self.code)
    }
}

/// `body` as SMTP carries it after DATA: CRLF line endings, a `.` added to
/// lines starting with one, and the terminating `.` line.
pub(super) fn wire(body: &[u8]) -> Arc<[u8]> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 64 + 5);
    for line in body.split_inclusive(|&byte| byte == b'\n') {
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        match line.strip_suffix(b"\n") {
            Some(text) => {
                out.extend_from_slice(text.strip_suffix(b"\r").unwrap_or(text));
                out.extend_from_slice(b"\r\n");
            }
            None => out.extend_from_slice(line),
        }
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_are_stuffed_and_lines_end_in_crlf() {
        assert_eq!(&*wire(b"a\r\n.b\n..c"), b"a\r\n..b\r\n...c\r\n.\r\n");
        assert_eq!(&*wire(b".\r\n"), b"..\r\n.\r\n");
        assert_eq!(&*wire(b""), b"\r\n.\r\n");
    }

    #[test]
    fn multiline_replies_are_read_whole() {
        let buffer = b"250-mail.example.org\r\n250-PIPELINING\r\n250 STARTTLS\r\n354 go";
        let mut scanned = 0;
        let end = reply_end(buffer, &mut scanned)
            .ok()
            .flatten()
            .expect("complete");
        let reply = Reply::parse(&buffer[..end]).expect("valid");
        assert_eq!(reply.code, 250);
        assert_eq!(reply.lines, ["mail.example.org", "PIPELINING", "STARTTLS"]);
        let mut scanned = 0;
        assert!(matches!(
            reply_end(b"250-partial\r\n", &mut scanned),
            Ok(None)
        ));
        assert!(reply_end(b"hello\r\n", &mut 0).is_err());
    }
}
