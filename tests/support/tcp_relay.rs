//! A TCP relay a test can cut: between the service and a real server (Postgres
//! here), so the test takes the server "away" (open connections reset, new ones
//! refused at once) and brings it back without stopping a server other tests use.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinSet;

/// The relay; dropping it stops it.
pub struct TcpRelay {
    /// Where clients connect instead of the server.
    pub address: SocketAddr,
    up: Arc<AtomicBool>,
    pipes: Arc<Mutex<JoinSet<()>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl TcpRelay {
    /// A relay on a free local port to `server`, up.
    pub async fn start(server: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let pipes = Arc::new(Mutex::new(JoinSet::new()));
        let accept = tokio::spawn({
            let (up, pipes) = (up.clone(), pipes.clone());
            async move {
                loop {
                    let Ok((client, _)) = listener.accept().await else {
                        continue;
                    };
                    // Checked under the lock `cut` takes: a connection accepted
                    // while a cut runs is refused, never left open behind it.
                    let mut pipes = pipes.lock().await;
                    if !up.load(Ordering::SeqCst) {
                        drop(client); // refused: closed at once
                        continue;
                    }
                    pipes.spawn(async move {
                        if let Ok(mut upstream) = TcpStream::connect(server).await {
                            let mut client = client;
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                        }
                    });
                }
            }
        });
        Self {
            address,
            up,
            pipes,
            accept,
        }
    }

    /// The server goes away: open connections are cut (closed by the time this
    /// returns), new ones closed at once.
    pub async fn cut(&self) {
        let mut pipes = self.pipes.lock().await;
        self.up.store(false, Ordering::SeqCst);
        pipes.abort_all();
        while pipes.join_next().await.is_some() {}
    }

    /// The server is back.
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for TcpRelay {
    fn drop(&mut self) {
        self.accept.abort();
        if let Ok(mut pipes) = self.pipes.try_lock() {
            pipes.abort_all();
        }
    }
}
