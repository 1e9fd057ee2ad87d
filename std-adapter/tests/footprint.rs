//! Reports the memory a connection holds, for the docs, and keeps it from
//! growing unnoticed.

use barews::connection::{Client, Connection, Server};
use barews_std::OsMasks;
use std::mem::size_of;

#[test]
fn connection_state_stays_small() {
    let server = size_of::<Connection<Server>>();
    let client = size_of::<Connection<Client<OsMasks>>>();
    println!("Connection<Server>: {server} bytes");
    println!("Connection<Client<OsMasks>>: {client} bytes (includes a 256-byte key pool)");
    // Two 125-byte control-frame slots, the configuration, timers and the
    // receive and send progress (472 bytes on x86-64, 488 with `deflate`).
    assert!(server <= 520, "Connection<Server> is {server} bytes");
    assert!(client <= server + 300, "Connection<Client<OsMasks>> is {client} bytes");
}
