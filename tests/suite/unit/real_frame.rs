//! Unit tests of `src/real/frame.rs` (moved out of the library: see `unit.rs`).

use schedlab::proto::Msg;
use schedlab::real::frame::*;
use std::time::Duration;

fn read(bytes: &[u8], max: usize) -> Result<Frame, FrameError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut r = bytes;
    rt.block_on(read_frame(&mut r, max, Duration::from_millis(50)))
}

#[test]
fn round_trip() {
    let f = Frame::Msg {
        from: 1,
        to: 2,
        msg: Msg::Ping,
    };
    let bytes = encode(&f);
    assert_eq!(&bytes[..4], &(bytes.len() as u32 - 4).to_be_bytes());
    assert_eq!(read(&bytes, DEFAULT_MAX_FRAME), Ok(f));
}

#[test]
fn rejects_bad_frames_by_kind() {
    let good = encode(&Frame::Ctl(CtlRequest::Status));
    assert_eq!(read(&[], 100), Err(FrameError::Closed));
    assert_eq!(read(&good[..2], 100), Err(FrameError::Truncated));
    assert_eq!(
        read(&good[..good.len() - 1], 100),
        Err(FrameError::Truncated)
    );
    assert_eq!(
        read(&good, 3),
        Err(FrameError::Oversized {
            len: good.len() - 4,
            max: 3
        })
    );
    let mut junk = 5u32.to_be_bytes().to_vec();
    junk.extend_from_slice(b"\xff\x00{]x");
    assert!(matches!(read(&junk, 100), Err(FrameError::Garbage(_))));
    let body = br#"{"msg":{"from":1,"to":2,"msg":"Teleport"}}"#;
    let mut unknown = (body.len() as u32).to_be_bytes().to_vec();
    unknown.extend_from_slice(body);
    assert!(matches!(
        read(&unknown, 100),
        Err(FrameError::UnknownKind(_))
    ));
}
