use super::*;

fn env(to: &[&str], message: &str) -> Envelope {
    Envelope {
        helo: "host".into(),
        from: "ka@host".into(),
        to: to.iter().map(|s| s.to_string()).collect(),
        message: message.as_bytes().to_vec(),
    }
}

fn send(s: &str) -> Step {
    Step::Send(s.as_bytes().to_vec())
}

/// Feeds each read in order; the steps that were not `Read`.
fn run(c: &mut Client, reads: &[&[u8]]) -> Vec<Step> {
    reads
        .iter()
        .map(|r| c.on_data(r))
        .filter(|s| *s != Step::Read)
        .collect()
}

#[test]
fn whole_session_two_recipients() {
    let mut c = Client::new(env(&["a@x", "b@x"], "Subject: s\r\n\r\nbody\r\n"));
    let steps = run(
        &mut c,
        &[
            b"220 mx ESMTP\r\n",
            b"250 hello\r\n",
            b"250 ok\r\n",
            b"250 ok\r\n",
            b"251 forwarded\r\n",
            b"354 go\r\n",
            b"250 queued\r\n",
            b"221 bye\r\n",
        ],
    );
    assert_eq!(
        steps,
        [
            send("HELO host\r\n"),
            send("MAIL FROM:<ka@host>\r\n"),
            send("RCPT TO:<a@x>\r\n"),
            send("RCPT TO:<b@x>\r\n"),
            send("DATA\r\n"),
            send("Subject: s\r\n\r\nbody\r\n.\r\n"),
            send("QUIT\r\n"),
            Step::Done(Ok(())),
        ]
    );
    assert!(c.accepted());
}

#[test]
fn replies_split_anywhere_and_multi_line() {
    // The greeting one byte at a time, a multi-line HELO reply split inside its CRLF.
    let mut c = Client::new(env(&["a@x"], "x"));
    for b in b"220-mx\r\n220-more\r\n22" {
        assert_eq!(c.on_data(&[*b]), Step::Read);
    }
    assert_eq!(c.on_data(b"0 ready\r"), Step::Read);
    assert_eq!(c.on_data(b"\n"), send("HELO host\r\n"));
    assert_eq!(c.on_data(b"250-mx\r\n250-8BITMIME\r"), Step::Read);
    assert_eq!(c.on_data(b"\n250 SIZE\n"), send("MAIL FROM:<ka@host>\r\n"));
}

#[test]
fn refusals_fail_with_their_code() {
    let mut c = Client::new(env(&["a@x"], "x"));
    assert_eq!(
        c.on_data(b"554 go away\r\n"),
        Step::Done(Err(
            "error processing the greeting: SMTP status code 554".into()
        ))
    );
    // Later input repeats the verdict.
    assert!(matches!(c.on_data(b"220 ok\r\n"), Step::Done(Err(_))));
    assert!(c.on_eof().is_err());

    let mut c = Client::new(env(&["a@x"], "x"));
    run(&mut c, &[b"220 a\r\n", b"250 a\r\n", b"250 a\r\n"]);
    assert_eq!(
        c.on_data(b"550 no such user\r\n"),
        Step::Done(Err(
            "error processing the RCPT cmd: SMTP status code 550".into()
        ))
    );
    let mut c = Client::new(env(&["a@x"], "x"));
    run(
        &mut c,
        &[b"220 a\r\n", b"250 a\r\n", b"250 a\r\n", b"250 a\r\n"],
    );
    assert!(matches!(c.on_data(b"250 not 354\r\n"), Step::Done(Err(_))));
}

#[test]
fn close_and_timeout_before_and_after_acceptance() {
    let mut c = Client::new(env(&["a@x"], "x"));
    c.on_data(b"220 a\r\n");
    assert_eq!(
        c.on_eof(),
        Err("connection closed waiting for the reply to the HELO cmd".into())
    );
    let mut c = Client::new(env(&["a@x"], "x"));
    assert_eq!(
        c.on_timeout(),
        Err("timed out waiting for the reply to the greeting".into())
    );
    // Taken, then no answer to QUIT: sent all the same.
    let mut c = Client::new(env(&["a@x"], "x"));
    run(
        &mut c,
        &[
            b"220 a\r\n",
            b"250 a\r\n",
            b"250 a\r\n",
            b"250 a\r\n",
            b"354 a\r\n",
        ],
    );
    assert!(!c.accepted());
    assert_eq!(c.on_data(b"250 a\r\n"), send("QUIT\r\n"));
    assert_eq!(c.on_timeout(), Ok(()));
    assert_eq!(c.on_eof(), Ok(()));
}

#[test]
fn hostile_servers_are_bounded() {
    // A line without end.
    let mut c = Client::new(env(&["a@x"], "x"));
    let long = vec![b'2'; MAX_LINE + 1];
    assert!(matches!(c.on_data(&long), Step::Done(Err(e)) if e.contains("longer than")));
    // Continuation lines without end.
    let mut c = Client::new(env(&["a@x"], "x"));
    let mut step = Step::Read;
    for _ in 0..=MAX_REPLY_LINES {
        step = c.on_data(b"220-more\r\n");
    }
    assert!(matches!(step, Step::Done(Err(e)) if e.contains("lines")));
    // Many short replies in total.
    let mut c = Client::new(env(&["a@x"], "x"));
    let big = vec![b'x'; MAX_RECEIVED + 1];
    assert!(matches!(c.on_data(&big), Step::Done(Err(_))));
    // Garbage, and an answer ahead of the question.
    let mut c = Client::new(env(&["a@x"], "x"));
    assert!(matches!(c.on_data(b"hello\r\n"), Step::Done(Err(e)) if e.contains("malformed")));
    let mut c = Client::new(env(&["a@x"], "x"));
    assert!(matches!(
        c.on_data(b"220 a\r\n250 b\r\n"),
        Step::Done(Err(e)) if e.contains("data after")
    ));
    // No recipient.
    let mut c = Client::new(env(&[], "x"));
    run(&mut c, &[b"220 a\r\n", b"250 a\r\n"]);
    assert_eq!(
        c.on_data(b"250 a\r\n"),
        Step::Done(Err("no recipient".into()))
    );
}

#[test]
fn dot_stuffing_and_line_ends() {
    assert_eq!(stuff(b"a\n.b\r\n..c\nd"), b"a\r\n..b\r\n...c\r\nd\r\n.\r\n");
    assert_eq!(stuff(b".\r\n"), b"..\r\n.\r\n");
    assert_eq!(stuff(b""), b".\r\n");
    // Commands stay one line whatever the configuration holds.
    let mut c = Client::new(Envelope {
        helo: "h\r\nRSET".into(),
        ..env(&["a@x"], "x")
    });
    assert_eq!(c.on_data(b"220 a\r\n"), send("HELO hRSET\r\n"));
}
