//! `barews-conformance autobahn [server|client|all] [--docker|--native]
//! [--image NAME] [--runs RUN,…] [--native-runs RUN,…] [--cases PATTERN,…]
//! [--update-expected] [--timeout-minutes N] [--deflate-mode per-connection|shared] [--full-deflate]`

use barews_conformance::autobahn::{self, Choice, DeflateMode, Options, Roles};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: barews-conformance autobahn [server|client|all] [--docker|--native] \
[--image NAME] [--runs RUN,...] [--native-runs RUN,...] [--cases PATTERN,...] [--update-expected] \
[--timeout-minutes N] [--deflate-mode per-connection|shared] [--full-deflate]

  --docker             wstest in a Docker container: the image named with --image, else the
                       official image (present or pulled), else one built here once
  --native             wstest in a Python 2.7 environment installed under ~/.cache
                       (neither: Docker when an engine answers and an image can be had)
  --runs RUN,..        only these runs (server, server-stream, client, tokio-server, tokio-client,
                       embedded-server, embedded-server-async, embedded-client,
                       embedded-client-async)
  --native-runs RUN,.. these runs use the native wstest
  --deflate-mode MODE  permessage-deflate in every run that has it: per-connection (context
                       takeover, a compressor per connection) or shared (no context takeover,
                       the programs' --deflate-shared); by default the std runs use
                       per-connection and the tokio runs shared
  --full-deflate       every permessage-deflate case in runs that sample them (tokio-client)";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some("autobahn") {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let mut options = Options {
        roles: Roles::All,
        testsuite: Choice::Auto,
        image: None,
        native_runs: Vec::new(),
        only: Vec::new(),
        cases: vec!["*".to_owned()],
        update_expected: false,
        run_timeout: Duration::from_secs(30 * 60),
        deflate_mode: None,
        full_deflate: false,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "server" => options.roles = Roles::Server,
            "client" => options.roles = Roles::Client,
            "all" => options.roles = Roles::All,
            "--docker" => options.testsuite = Choice::Docker,
            "--native" => options.testsuite = Choice::Native,
            "--update-expected" => options.update_expected = true,
            "--image" => match args.next() {
                Some(name) if !name.is_empty() => options.image = Some(name),
                _ => return usage(),
            },
            "--runs" => match args.next() {
                Some(list) => options.only = list.split(',').map(str::to_owned).collect(),
                None => return usage(),
            },
            "--native-runs" => match args.next() {
                Some(list) => options.native_runs = list.split(',').map(str::to_owned).collect(),
                None => return usage(),
            },
            "--cases" => match args.next() {
                Some(list) => options.cases = list.split(',').map(str::to_owned).collect(),
                None => return usage(),
            },
            "--full-deflate" => options.full_deflate = true,
            "--deflate-mode" => match args.next().as_deref().and_then(DeflateMode::parse) {
                Some(mode) => options.deflate_mode = Some(mode),
                None => return usage(),
            },
            "--timeout-minutes" => match args.next().and_then(|n| n.parse::<u64>().ok()) {
                Some(minutes) => options.run_timeout = Duration::from_secs(minutes * 60),
                None => return usage(),
            },
            _ => return usage(),
        }
    }
    if options.image.is_some() && options.testsuite == Choice::Native {
        eprintln!("--image names a Docker image; it cannot go with --native");
        return usage();
    }
    match autobahn::run(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("the Autobahn gate failed");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("the Autobahn run failed: {error}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}
