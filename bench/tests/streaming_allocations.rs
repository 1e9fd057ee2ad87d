//! The streaming echo (`read_event` and `queue_fragment` or
//! `send_fragment`) allocates nothing per message once a connection is
//! warm, with default options, from small messages to ones many times the
//! read buffer's limit: the buffers the socket grew for the first pass
//! are the ones the next pass uses.

use barews_bench::alloc_count::{CountingAlloc, snapshot};
use barews_bench::echo::MemServer;
use barews_bench::frames::{Kind, client_messages};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

// One test function: the counters are process-wide, and the test harness
// would run several functions on threads side by side.
#[test]
fn a_warm_streaming_echo_allocates_nothing_per_message() {
    for server in [MemServer::BarewsStdStream, MemServer::BarewsTokioStream] {
        for size in [16, 64 * 1024, 1024 * 1024] {
            let messages = if size >= 1024 * 1024 { 4 } else { 64 };
            let payload = Kind::Binary.payload(size, 3);
            let input = client_messages(Kind::Binary, &payload, messages);
            let mut driver = server.driver(&input, messages, true);
            assert_eq!(driver.pass().messages, messages, "warm-up pass");
            let before = snapshot();
            let tally = driver.pass();
            let counted = snapshot().since(before);
            assert_eq!(tally.messages, messages);
            assert_eq!(
                counted.allocations + counted.reallocations,
                0,
                "{} echoing {messages} messages of {size} bytes: {counted:?}",
                server.name()
            );
        }
    }
}
