//! Fuzzes the IPVS reply decoder (`src/ipvs/codec.rs`): any datagram gives replies or
//! `Malformed`, never a panic; and what decodes survives a round trip: a decoded service,
//! destination or sync daemon, encoded as a request and decoded again, is the same value (the
//! reconciliation compares dumped values with desired ones, so the codec must not invent or
//! lose a field either way). The controller's family reply is decoded too.
#![no_main]

use keepalived_rs::ipvs::codec::{self, Reply, Request};
use keepalived_rs::ipvs::model::{ServiceKey, family_of};
use keepalived_rs::netlink::wire::Messages;
use libfuzzer_sys::fuzz_target;

fn again(req: &Request<'_>) -> Reply {
    let mut buf = Vec::new();
    codec::encode(&mut buf, 0x20, 1, req).expect("a decoded value fits a request");
    // A request's payload has the reply's layout: the same nests under the same command.
    let (_, attrs) = codec::split(&buf[16..]).unwrap();
    let mut reply = vec![
        match req {
            Request::NewDaemon(_) => codec::cmd::NEW_DAEMON,
            Request::NewDest(..) => codec::cmd::NEW_DEST,
            _ => codec::cmd::NEW_SERVICE,
        },
        1,
        0,
        0,
    ];
    reply.extend_from_slice(attrs);
    codec::parse_reply(&reply).expect("an encoded value decodes")
}

fuzz_target!(|data: &[u8]| {
    if data.len() > 64 * 1024 {
        return;
    }
    for m in Messages::new(data) {
        let Ok(m) = m else { break };
        let _ = codec::parse_family(m.payload);
    }
    for (_, r) in codec::replies(data) {
        match r {
            Ok(Reply::Service(s)) => {
                assert_eq!(again(&Request::NewService(&s)), Reply::Service(s.clone()));
            }
            Ok(Reply::Dest(d, _)) => {
                let k = ServiceKey::Fwmark {
                    af: family_of(d.addr),
                    mark: 1,
                };
                let Reply::Dest(back, _) = again(&Request::NewDest(k, &d)) else {
                    panic!("not a dest")
                };
                assert_eq!(back, d);
            }
            Ok(Reply::Daemon(d)) => {
                assert_eq!(again(&Request::NewDaemon(&d)), Reply::Daemon(d.clone()));
            }
            _ => {}
        }
    }
});
