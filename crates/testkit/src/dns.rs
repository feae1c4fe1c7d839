//! A DNS server for tests on loopback UDP: it answers TXT questions from a table (SPF, DKIM and
//! DMARC records) and NXDOMAIN for every other name, so sender authentication runs against real
//! DNS messages without the network.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordType};

/// The running server; records may be added while it runs.
pub struct DnsStub {
    /// Where it listens.
    pub address: SocketAddr,
    zone: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

impl DnsStub {
    /// Starts a server on 127.0.0.1 with no records.
    pub fn start() -> DnsStub {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("a loopback UDP port");
        let address = socket.local_addr().expect("its address");
        let zone: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
        let table = zone.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            loop {
                let Ok((n, peer)) = socket.recv_from(&mut buffer) else {
                    return;
                };
                let Ok(request) = Message::from_vec(&buffer[..n]) else {
                    continue;
                };
                let mut response = Message::response(request.metadata.id, request.metadata.op_code);
                response.metadata.recursion_desired = request.metadata.recursion_desired;
                response.metadata.recursion_available = true;
                response.metadata.authoritative = true;
                let mut found = false;
                let zone = table.lock().unwrap_or_else(|p| p.into_inner()).clone();
                for query in &request.queries {
                    let name = query.name().to_lowercase().to_ascii();
                    match (query.query_type(), zone.get(&name)) {
                        (RecordType::TXT, Some(values)) => {
                            found = true;
                            for value in values {
                                // A character-string holds 255 bytes: long keys are split.
                                let chunks = value
                                    .as_bytes()
                                    .chunks(255)
                                    .map(|c| String::from_utf8_lossy(c).to_string())
                                    .collect();
                                response.add_answer(Record::from_rdata(
                                    query.name().clone(),
                                    60,
                                    RData::TXT(TXT::new(chunks)),
                                ));
                            }
                        }
                        // The name exists with no record of this type.
                        (_, Some(_)) => found = true,
                        (_, None) => {}
                    }
                }
                response.add_queries(request.queries.clone());
                if !found {
                    response.metadata.response_code = ResponseCode::NXDomain;
                }
                if let Ok(bytes) = response.to_vec() {
                    let _ = socket.send_to(&bytes, peer);
                }
            }
        });
        DnsStub { address, zone }
    }

    /// Adds a TXT record (`name` without the trailing dot).
    pub fn txt(&self, name: &str, value: &str) {
        self.zone
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(format!("{}.", name.trim_end_matches('.').to_lowercase()))
            .or_default()
            .push(value.to_string());
    }
}
