//! An SMTP sink for benchmarks: answers like a server that offers
//! PIPELINING, accepts everything and counts the messages, so that figures
//! measure the client. Shared by `pressroom-digest`'s `send` bench and the
//! daemon's `digest` bench (included with `#[path]`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Starts the sink on its own thread; returns its port.
pub fn start_sink(received: Arc<AtomicUsize>) -> u16 {
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
            let port = listener.local_addr().expect("an address").port();
            port_tx.send(port).expect("the bench waits");
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let received = Arc::clone(&received);
                tokio::spawn(async move {
                    let _ = serve(socket, received).await;
                });
            }
        });
    });
    port_rx.recv().expect("the sink starts")
}

/// Answers one SMTP session: every command accepted, every message counted.
async fn serve(
    mut socket: tokio::net::TcpStream,
    received: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    socket.set_nodelay(true)?;
    socket.write_all(b"220 sink ESMTP\r\n").await?;
    let mut buffer: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut in_data = false;
    // How far the data was searched for its end already.
    let mut searched = 0;
    loop {
        let mut replies = Vec::new();
        loop {
            if in_data {
                match find(&buffer[searched..], b"\r\n.\r\n") {
                    Some(end) => {
                        buffer.drain(..searched + end + 5);
                        searched = 0;
                        in_data = false;
                        received.fetch_add(1, Ordering::SeqCst);
                        replies.extend_from_slice(b"250 2.0.0 queued\r\n");
                    }
                    None => {
                        searched = buffer.len().saturating_sub(4);
                        break;
                    }
                }
            } else {
                let Some(end) = find(&buffer, b"\r\n") else {
                    break;
                };
                let line: Vec<u8> = buffer.drain(..end + 2).collect();
                let command = line[..line.len().min(4)].to_ascii_uppercase();
                match &command[..] {
                    b"EHLO" => replies.extend_from_slice(b"250-sink\r\n250 PIPELINING\r\n"),
                    b"DATA" => {
                        // The data starts with the previous line's CRLF
                        // as far as the terminator search is concerned.
                        buffer.splice(0..0, *b"\r\n");
                        in_data = true;
                        replies.extend_from_slice(b"354 go on\r\n");
                    }
                    b"QUIT" => {
                        socket.write_all(b"221 bye\r\n").await?;
                        return Ok(());
                    }
                    _ => replies.extend_from_slice(b"250 OK\r\n"),
                }
            }
        }
        if !replies.is_empty() {
            socket.write_all(&replies).await?;
        }
        let read = socket.read(&mut chunk).await?;
        if read == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let mut start = 0;
    while let Some(at) = haystack[start..].iter().position(|&b| b == needle[0]) {
        let at = start + at;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        start = at + 1;
    }
    None
}
