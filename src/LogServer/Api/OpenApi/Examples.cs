using System.Text.Json.Nodes;
using Attest.LogServer.Anchor;
using Attest.LogServer.Service;

namespace Attest.LogServer.Api.OpenApi;

/// <summary>
/// An example of every request and response type the document shows, as its JSON (snake_case, as on the wire), and
/// the error body of each status. A type without an example here has none in the document, which the tests refuse.
/// </summary>
public static class Examples
{
    private static readonly Dictionary<Type, string> ByType = new()
    {
        [typeof(StampRequest)] = """
            {"content": "Minutes of the board meeting, 4 December 2026", "visibility": "hash_only", "display_title": "Board minutes", "tags": ["board"]}
            """,
        [typeof(Stamp)] = """
            {"success": true, "id": "01a2519a-6f91-70c7-ba92-5716979c885e", "log_index": 0, "content_hash": "15f68af7a67c6cd96c536bae43fe747026ea74fb2accbfc9bb7591b550b519c5", "created_at": "2026-12-07T17:43:25.329Z", "visibility": "hash_only", "content": null, "display_title": "Board minutes", "tags": ["board"], "leaf_hash": "eWbyaM0KHBpkd6WV3Y/Jv+9sZrV/rWDzf9cVc5brjhY=", "entry": "{\"content_hash\":\"15f68af7a67c6cd96c536bae43fe747026ea74fb2accbfc9bb7591b550b519c5\",\"created_at\":\"2026-12-07T17:43:25.329Z\",\"id\":\"01a2519a-6f91-70c7-ba92-5716979c885e\",\"type\":\"stamp/v1\"}"}
            """,
        [typeof(StampProof)] = """
            {"format": "attest-stamp-proof/v1", "stamp": {"id": "01a2519a-6f91-70c7-ba92-5716979c885e", "content_hash": "15f68af7a67c6cd96c536bae43fe747026ea74fb2accbfc9bb7591b550b519c5", "created_at": "2026-12-07T17:43:25.329Z"}, "log": {"origin": "attest.example/log", "verifier_key": "attest.example/log+346f4760+AXbHG4y0VfibvGUaXY1Cy2s9W3d0rJdyh8rdD8m20Mmz", "checkpoint": "attest.example/log\n12\n1Br4pXTRjFI3dGni69tNJ8JqNzkjewdV5GfZBzWCvZY=\n\n— attest.example/log NG9HYLEtn4aT+H3N6P/QybZzJ0AYdYc7CTNX4uFv8Q36dTf5OocEI5i1xC42vwE4nTnklxXhvJBMQBU8ZUN9EsWpBQ0=\n"}, "log_entry": {"index": 0, "entry": "{\"content_hash\":\"15f68af7a67c6cd96c536bae43fe747026ea74fb2accbfc9bb7591b550b519c5\",\"created_at\":\"2026-12-07T17:43:25.329Z\",\"id\":\"01a2519a-6f91-70c7-ba92-5716979c885e\",\"type\":\"stamp/v1\"}", "tlog_proof": "c2sp.org/tlog-proof@v1\nindex 0\nQgPAekw8WY/ZhfUBbYjKLoqDZQkKjEOQGOTrE/n4pNQ=\nvELpSyqpHrInRHW+K9URhn//isvAKVWwCWEponzbaM0=\n\nattest.example/log\n12\n1Br4pXTRjFI3dGni69tNJ8JqNzkjewdV5GfZBzWCvZY=\n\n— attest.example/log NG9HYLEtn4aT+H3N6P/QybZzJ0AYdYc7CTNX4uFv8Q36dTf5OocEI5i1xC42vwE4nTnklxXhvJBMQBU8ZUN9EsWpBQ0=\n"}, "anchor": null}
            """,
        [typeof(CreateIssuerRequest)] = """
            {"name": "University of Example"}
            """,
        [typeof(IssuerView)] = """
            {"id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "name": "University of Example", "created_at": "2026-12-07T17:51:15.659Z", "log_index": 1}
            """,
        [typeof(AddCreditsRequest)] = """
            {"amount": 100}
            """,
        [typeof(Service.Mail.DeliveryView)] = """
            {"attestation_id": "01a251a3-0f4e-7b1c-9a55-3c2d1e0f9a11", "channel": "email", "status": "sent", "attempts": 1, "last_error": null, "updated_at": "2026-12-07T17:52:03.112Z", "next_attempt_at": null}
            """,
        [typeof(HolderInbox)] = """
            {"attestations": [{"id": "01a251a3-0f4e-7b1c-9a55-3c2d1e0f9a11", "issuer_id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "issuer_name": "University of Example", "schema": "diploma/v1", "status": "VALID", "created_at": "2026-12-07T17:52:01.870Z", "log_index": 7, "holder_token": "attest_holder_3q2-7wAAAAB5c2VkIGZvciBhbiBleGFtcGxlIG9ubHk"}], "next_cursor": null}
            """,
        [typeof(CreateApiKeyRequest)] = """
            {"issuer_id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "name": "registrar", "expires_at": "2027-12-31T00:00:00Z"}
            """,
        [typeof(ApiKeyView)] = """
            {"id": "01a251a1-9d62-7439-b155-30af3d7869dc", "issuer_id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "name": "registrar", "created_at": "2026-12-07T17:51:15.812Z", "expires_at": null, "revoked_at": null, "key": "atk_MhXfQZ8TYrsvPshW14vJDemzStEDx03a2gHNw0wtPIQ"}
            """,
        [typeof(ApiKeyList)] = """
            {"api_keys": [{"id": "01a251a1-9d62-7439-b155-30af3d7869dc", "issuer_id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "name": "registrar", "created_at": "2026-12-07T17:51:15.812Z", "expires_at": null, "revoked_at": null, "key": null}], "next_cursor": null}
            """,
        [typeof(CreateKeyRequest)] = """
            {"kid": "uoe-2026-es256", "alg": "ES256", "jwk": {"kty": "EC", "crv": "P-256", "x": "iHLpAVmJin9TrI61A_bYtVhaPpjdA0cCxtHm1UwnaLA", "y": "aNyJ7-wnGQzxpq80DVpz9-sAg5DZILIzI4LHAu3KQXI"}}
            """,
        [typeof(KeyView)] = """
            {"kid": "uoe-2026", "issuer_id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "alg": "Ed25519", "public_key": "EBdw3N8GXspekwQPIHc_hnyX4G1ApkZkG3ABmFYgLJU", "status": "active", "created_at": "2026-12-07T17:51:16.049Z", "rotated_at": null, "replaced_by": null, "compromised_at": null, "log_index": 3, "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "EBdw3N8GXspekwQPIHc_hnyX4G1ApkZkG3ABmFYgLJU"}}
            """,
        [typeof(KeyList)] = """
            {"keys": [{"kid": "uoe-2026", "issuer_id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "alg": "Ed25519", "public_key": "EBdw3N8GXspekwQPIHc_hnyX4G1ApkZkG3ABmFYgLJU", "status": "active", "created_at": "2026-12-07T17:51:16.049Z", "rotated_at": null, "replaced_by": null, "compromised_at": null, "log_index": 3, "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "EBdw3N8GXspekwQPIHc_hnyX4G1ApkZkG3ABmFYgLJU"}}], "next_cursor": null}
            """,
        [typeof(RotateKeyRequest)] = """
            {"new_kid": "uoe-2027"}
            """,
        [typeof(CompromiseKeyRequest)] = """
            {"compromised_at": "2026-12-07T00:00:00Z"}
            """,
        [typeof(CompromiseResult)] = """
            {"kid": "uoe-2026", "status": "compromised", "compromised_at": "2026-12-07T00:00:00.000Z", "affected_attestations": 0, "log_index": 10}
            """,
        [typeof(CreatePackRequest)] = """
            {"issuer_id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "name": "Graduation 2026", "description": "Degrees awarded in June 2026"}
            """,
        [typeof(PackView)] = """
            {"id": "01a251a1-9eab-718e-9b28-159c05b3c48f", "issuer_id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "name": "Graduation 2026", "description": "Degrees awarded in June 2026", "status": "draft", "verifications_count": 0, "created_at": "2026-12-07T17:51:16.139Z", "activated_at": null}
            """,
        [typeof(MintRequest)] = """
            {"issuer_id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "kid": "uoe-2026", "alg": "Ed25519", "schema": "custom", "claims": {"subject": "Ada Lovelace", "type": "BSc Computer Science", "details": "First class honours"}}
            """,
        [typeof(AttestationView)] = """
            {"id": "01a251a1-9fdb-7cb0-814f-d8c647247c1b", "issuer_id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "kid": "uoe-2026", "schema": "custom", "status": "VALID", "log_index": 6, "created_at": "2026-12-07T17:51:16.443Z", "payload": {"alg": "Ed25519", "claims": {"details": "First class honours", "subject": "Ada Lovelace", "type": "BSc Computer Science"}, "content_type": "application/json", "created_at": "2026-12-07T17:51:16.443Z", "id": "01a251a1-9fdb-7cb0-814f-d8c647247c1b", "issuer_id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "kid": "uoe-2026", "salt": "9SEUY5CuU4U5i0wGbppk3g", "schema": "custom", "type": "attestation/v1"}, "signature": "4H3zk2ts6kqjkLfxz0hvcwyJ-U6vzCnjkiYeNfDhvGSjTuQV-0sATeu6DHycPOzdnuL-YTGEtZB1Fr1LUoaFCQ", "document_hash": null, "content_type": "application/json", "pack_id": null, "supersedes": null, "superseded_by_attestation_id": null, "revoked_at": null, "revocation_reason": null, "revocation_log_index": null, "holder_token": "attest_holder_oFII7x-0__gE4n33F3S-aIu4JIsyL6icFJFEmAl2xDM"}
            """,
        [typeof(RevokeRequest)] = """
            {"reason": "issued in error"}
            """,
        [typeof(VerifyRequest)] = """
            {"attestation_id": "01a251a1-9fdb-7cb0-814f-d8c647247c1b"}
            """,
        [typeof(Service.Verification)] = """
            {"success": true, "verdict": "VALID", "reasons": ["signature_ok", "payload_matches_log", "transparency_proof_ok", "key_active"], "attestation_id": "01a251a1-9fdb-7cb0-814f-d8c647247c1b", "issuer_id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "kid": "uoe-2026", "status": "VALID", "log_index": 6, "checkpoint": {"origin": "attest.example/log", "size": 12, "root_hash": "1Br4pXTRjFI3dGni69tNJ8JqNzkjewdV5GfZBzWCvZY="}, "revoked_at": null, "superseded_by_attestation_id": null, "key_status": "active", "checks": null, "as_of": null, "issuer_name": null}
            """,
        [typeof(VerifyResult)] = """
            {"success": true, "verified": true, "content_hash": "15f68af7a67c6cd96c536bae43fe747026ea74fb2accbfc9bb7591b550b519c5", "log_index": 0, "first_stamped_at": "2026-12-07T17:43:25.329Z", "total_stamps_of_this_hash": 1, "stamp_id": "01a2519a-6f91-70c7-ba92-5716979c885e"}
            """,
        [typeof(Attest.Verification.ProofBundle)] = """
            {"format": "attest-proof-bundle/v1", "access": "full", "attestation": {"payload": {"alg": "Ed25519", "claims": {"details": "First class honours", "subject": "Ada Lovelace", "type": "BSc Computer Science"}, "content_type": "application/json", "created_at": "2026-12-07T17:51:16.443Z", "id": "01a251a1-9fdb-7cb0-814f-d8c647247c1b", "issuer_id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "kid": "uoe-2026", "salt": "9SEUY5CuU4U5i0wGbppk3g", "schema": "custom", "type": "attestation/v1"}, "signature": "4H3zk2ts6kqjkLfxz0hvcwyJ-U6vzCnjkiYeNfDhvGSjTuQV-0sATeu6DHycPOzdnuL-YTGEtZB1Fr1LUoaFCQ"}, "status": "VALID", "status_note": "attest-status/v1\nattest.example/log\n12\n1Br4pXTRjFI3dGni69tNJ8JqNzkjewdV5GfZBzWCvZY=\n01a251a1-9fdb-7cb0-814f-d8c647247c1b\nVALID\nuoe-2026 active\n2026-12-07T17:51:44Z\n\n— attest.example/log NG9HYPIzvC/JxYjrZO2djWlNPwZP68rQIppa37JCC2YU+J8NY1iokjkUKpVJXF8wuSQWvrjSfzB6ZMF1FvHpfgyIhg4=\n", "issuer": {"id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "name": "University of Example", "log_entry": {"index": 1, "entry": "{\"created_at\":\"2026-12-07T17:51:15.659Z\",\"id\":\"01a251a1-9ccb-76a9-bdbe-897dfaee1877\",\"name\":\"University of Example\",\"type\":\"issuer/v1\"}", "tlog_proof": "c2sp.org/tlog-proof@v1\nindex 1\nQgPAekw8WY/ZhfUBbYjKLoqDZQkKjEOQGOTrE/n4pNQ=\nvELpSyqpHrInRHW+K9URhn//isvAKVWwCWEponzbaM0=\n\nattest.example/log\n12\n1Br4pXTRjFI3dGni69tNJ8JqNzkjewdV5GfZBzWCvZY=\n\n— attest.example/log NG9HYLEtn4aT+H3N6P/QybZzJ0AYdYc7CTNX4uFv8Q36dTf5OocEI5i1xC42vwE4nTnklxXhvJBMQBU8ZUN9EsWpBQ0=\n"}}, "issuer_key": {"kid": "uoe-2026", "alg": "Ed25519", "public_key": "EBdw3N8GXspekwQPIHc_hnyX4G1ApkZkG3ABmFYgLJU", "status": "active", "created_at": "2026-12-07T17:51:16.049Z", "rotated_at": null, "compromised_at": null, "log_entries": [{"index": 3, "entry": "{\"alg\":\"Ed25519\",\"at\":\"2026-12-07T17:51:16.049Z\",\"event\":\"created\",\"issuer_id\":\"01a251a1-9ccb-76a9-bdbe-897dfaee1877\",\"kid\":\"uoe-2026\",\"public_key\":\"EBdw3N8GXspekwQPIHc_hnyX4G1ApkZkG3ABmFYgLJU\",\"type\":\"key/v1\"}", "tlog_proof": "c2sp.org/tlog-proof@v1\nindex 3\nQgPAekw8WY/ZhfUBbYjKLoqDZQkKjEOQGOTrE/n4pNQ=\nvELpSyqpHrInRHW+K9URhn//isvAKVWwCWEponzbaM0=\n\nattest.example/log\n12\n1Br4pXTRjFI3dGni69tNJ8JqNzkjewdV5GfZBzWCvZY=\n\n— attest.example/log NG9HYLEtn4aT+H3N6P/QybZzJ0AYdYc7CTNX4uFv8Q36dTf5OocEI5i1xC42vwE4nTnklxXhvJBMQBU8ZUN9EsWpBQ0=\n"}]}, "log": {"origin": "attest.example/log", "verifier_key": "attest.example/log+346f4760+AXbHG4y0VfibvGUaXY1Cy2s9W3d0rJdyh8rdD8m20Mmz", "checkpoint": "attest.example/log\n12\n1Br4pXTRjFI3dGni69tNJ8JqNzkjewdV5GfZBzWCvZY=\n\n— attest.example/log NG9HYLEtn4aT+H3N6P/QybZzJ0AYdYc7CTNX4uFv8Q36dTf5OocEI5i1xC42vwE4nTnklxXhvJBMQBU8ZUN9EsWpBQ0=\n"}, "log_entry": {"index": 6, "entry": "{\"created_at\":\"2026-12-07T17:51:16.443Z\",\"id\":\"01a251a1-9fdb-7cb0-814f-d8c647247c1b\",\"issuer_id\":\"01a251a1-9ccb-76a9-bdbe-897dfaee1877\",\"kid\":\"uoe-2026\",\"payload_sha256\":\"54bda38c4e12e4f0d46ef889103e48929a237997b2f585a0de91bc290470ffa7\",\"schema\":\"custom\",\"signature\":\"4H3zk2ts6kqjkLfxz0hvcwyJ-U6vzCnjkiYeNfDhvGSjTuQV-0sATeu6DHycPOzdnuL-YTGEtZB1Fr1LUoaFCQ\",\"type\":\"attestation/v1\"}", "tlog_proof": "c2sp.org/tlog-proof@v1\nindex 6\nQgPAekw8WY/ZhfUBbYjKLoqDZQkKjEOQGOTrE/n4pNQ=\nvELpSyqpHrInRHW+K9URhn//isvAKVWwCWEponzbaM0=\n\nattest.example/log\n12\n1Br4pXTRjFI3dGni69tNJ8JqNzkjewdV5GfZBzWCvZY=\n\n— attest.example/log NG9HYLEtn4aT+H3N6P/QybZzJ0AYdYc7CTNX4uFv8Q36dTf5OocEI5i1xC42vwE4nTnklxXhvJBMQBU8ZUN9EsWpBQ0=\n"}, "revocation": null, "superseded_by": null, "anchor": null}
            """,
        [typeof(SchemaList)] = """
            {"schemas": [{"id": "degree", "name": "Degree", "category": "Education", "claim_fields": ["student_name", "institution", "degree_type", "field_of_study", "graduation_date", "honors"], "allows_extra_fields": false}]}
            """,
        [typeof(Schema)] = """
            {"id": "degree", "name": "Degree", "category": "Education", "claim_fields": ["student_name", "institution", "degree_type", "field_of_study", "graduation_date", "honors"], "allows_extra_fields": false}
            """,
        [typeof(Keyring)] = """
            {"log": {"origin": "attest.example/log", "verifier_key": "attest.example/log+346f4760+AXbHG4y0VfibvGUaXY1Cy2s9W3d0rJdyh8rdD8m20Mmz"}, "keys": [{"issuer_id": "01a251a1-9ccb-76a9-bdbe-897dfaee1877", "kid": "uoe-2026", "alg": "Ed25519", "public_key": "EBdw3N8GXspekwQPIHc_hnyX4G1ApkZkG3ABmFYgLJU", "status": "active", "valid_from": "2026-12-07T17:51:16.049Z", "valid_until": null, "compromised_at": null, "log_index": 3, "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "EBdw3N8GXspekwQPIHc_hnyX4G1ApkZkG3ABmFYgLJU"}}], "next_cursor": "AAAAAAAAAAM"}
            """,
        [typeof(LogKey)] = """
            {"origin": "attest.example/log", "verifier_key": "attest.example/log+346f4760+AXbHG4y0VfibvGUaXY1Cy2s9W3d0rJdyh8rdD8m20Mmz"}
            """,
        [typeof(LeafEntry)] = """
            {"index": 0, "entry": "{\"content_hash\":\"15f68af7a67c6cd96c536bae43fe747026ea74fb2accbfc9bb7591b550b519c5\",\"created_at\":\"2026-12-07T17:43:25.329Z\",\"id\":\"01a2519a-6f91-70c7-ba92-5716979c885e\",\"type\":\"stamp/v1\"}", "tlog_proof": "c2sp.org/tlog-proof@v1\nindex 0\nQgPAekw8WY/ZhfUBbYjKLoqDZQkKjEOQGOTrE/n4pNQ=\nvELpSyqpHrInRHW+K9URhn//isvAKVWwCWEponzbaM0=\n\nattest.example/log\n12\n1Br4pXTRjFI3dGni69tNJ8JqNzkjewdV5GfZBzWCvZY=\n\n— attest.example/log NG9HYLEtn4aT+H3N6P/QybZzJ0AYdYc7CTNX4uFv8Q36dTf5OocEI5i1xC42vwE4nTnklxXhvJBMQBU8ZUN9EsWpBQ0=\n", "leaf_hash": "eWbyaM0KHBpkd6WV3Y/Jv+9sZrV/rWDzf9cVc5brjhY=", "log": {"origin": "attest.example/log", "verifier_key": "attest.example/log+346f4760+AXbHG4y0VfibvGUaXY1Cy2s9W3d0rJdyh8rdD8m20Mmz", "checkpoint": "attest.example/log\n12\n1Br4pXTRjFI3dGni69tNJ8JqNzkjewdV5GfZBzWCvZY=\n\n— attest.example/log NG9HYLEtn4aT+H3N6P/QybZzJ0AYdYc7CTNX4uFv8Q36dTf5OocEI5i1xC42vwE4nTnklxXhvJBMQBU8ZUN9EsWpBQ0=\n"}}
            """,
        [typeof(InclusionProofJson)] = """
            {"index": 0, "tree_size": 3, "proof": ["oceJsdCjFgz4/L9Rl7135H6lx477q8wPakdMSj0VK78=", "pmTLZL6/F7zt3dVblAd8qzSsVgBzhHUrbsdDxxqzjwQ="]}
            """,
        [typeof(ConsistencyProofJson)] = """
            {"first": 1, "second": 3, "proof": ["oceJsdCjFgz4/L9Rl7135H6lx477q8wPakdMSj0VK78=", "pmTLZL6/F7zt3dVblAd8qzSsVgBzhHUrbsdDxxqzjwQ="]}
            """,
        [typeof(AnchorApi.AnchorPage)] = """
            {"anchors": [], "total": 0, "next_start": null}
            """,
        [typeof(AnchorView)] = """
            {"sequence": 0, "log_index": 13, "chain_id": 11155111, "tx_hash": "0xa490f00c6f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899d3e3d", "block_number": 18798410, "block_hash": "0x5e1b6a3f0c2d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7", "block_timestamp": 1765130000, "tree_size": 12, "root_hash": "1Br4pXTRjFI3dGni69tNJ8JqNzkjewdV5GfZBzWCvZY=", "from": "0x8ba1f109551bD432803012645Ac136ddd64DBA72", "to": "0x000000000000000000000000000000000000dEaD", "checkpoint": "attest.example/log\n12\n1Br4pXTRjFI3dGni69tNJ8JqNzkjewdV5GfZBzWCvZY=\n\n— attest.example/log NG9HYLEtn4aT+H3N6P/QybZzJ0AYdYc7CTNX4uFv8Q36dTf5OocEI5i1xC42vwE4nTnklxXhvJBMQBU8ZUN9EsWpBQ0=\n"}
            """,
        [typeof(AnchorStatus)] = """
            {"enabled": false, "chain_id": null, "account": null, "to": null, "required_confirmations": 0, "anchored_size": 0, "checkpoint_size": 12, "lag_entries": 12, "lag_seconds": 0, "pending": null, "last_error": null, "last_error_at": null, "consecutive_failures": 0, "waiting": null}
            """,
        [typeof(Health)] = """
            {"status": "ok"}
            """,
        [typeof(Readiness)] = """
            {"status": "ready", "tree_size": 12, "checkpoint_size": 12, "checkpoint_publishing": "ok", "anchoring": {"enabled": false, "chain_id": null, "account": null, "to": null, "required_confirmations": 0, "anchored_size": 0, "checkpoint_size": 12, "lag_entries": 12, "lag_seconds": 0, "pending": null, "last_error": null, "last_error_at": null, "consecutive_failures": 0, "waiting": null}, "witnessing": {"enabled": false, "policy": null, "quorum": 0, "state": "off", "last_checkpoint_size": null, "last_cosignatures": 0, "held_size": null, "warning": null, "witnesses": []}}
            """,
    };

    public const string Checkpoint =
        "attest.example/log\n12\n1Br4pXTRjFI3dGni69tNJ8JqNzkjewdV5GfZBzWCvZY=\n\n— attest.example/log NG9HYLEtn4aT+H3N6P/QybZzJ0AYdYc7CTNX4uFv8Q36dTf5OocEI5i1xC42vwE4nTnklxXhvJBMQBU8ZUN9EsWpBQ0=\n";

    public const string TlogProof =
        "c2sp.org/tlog-proof@v1\nindex 0\noceJsdCjFgz4/L9Rl7135H6lx477q8wPakdMSj0VK78=\n7mpVhfNcXFxLP2VAYL7ezmwa+WF2tKj1tcO7UqcwQfI=\n\n" + Checkpoint;

    /// <summary>Request types whose body may be empty (an empty body is read as <c>{}</c>).</summary>
    private static readonly HashSet<Type> OptionalBodies = [typeof(RevokeRequest), typeof(CompromiseKeyRequest)];

    /// <summary>A message for the codes an example shows; the others get a generic one.</summary>
    private static readonly Dictionary<string, string> Messages = new()
    {
        ["invalid_json"] = "the request body is not valid JSON",
        ["missing_content"] = "send exactly one of \"content_hash\" or \"content\"",
        ["missing_api_key"] = "send an API key as \"Authorization: Bearer <key>\" or \"X-API-Key: <key>\"",
        ["invalid_api_key"] = "the API key is wrong, expired or revoked",
        ["forbidden"] = "this needs the admin key",
        ["not_found"] = "no attestation with id 01a251a1-9fdb-7cb0-814f-d8c647247c1b",
        ["rate_limited"] = "rate limit exceeded: retry after 12 seconds",
        ["payload_too_large"] = "the request body is larger than the server accepts",
        ["unsupported_media_type"] = "send the body as application/json",
        ["idempotency_key_reused"] = "this Idempotency-Key was used with a different request",
    };

    public static JsonNode? Of(Type type) => ByType.TryGetValue(type, out var json) ? JsonNode.Parse(json) : null;

    public static bool BodyIsOptional(Type type) => OptionalBodies.Contains(type);

    public static JsonNode Error(int status, string[] codes)
    {
        string code = codes.FirstOrDefault() ?? Generic(status);
        return new JsonObject
        {
            ["success"] = false,
            ["error"] = code,
            ["message"] = Messages.TryGetValue(code, out var m) ? m : code.Replace('_', ' '),
        };
    }

    public static string ErrorDescription(int status, string[] codes)
    {
        string what = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
        return codes.Length == 0 ? what : $"{what}: {string.Join(", ", codes.Select(c => $"`{c}`"))}";
    }

    private static string Generic(int status) => status switch
    {
        401 => "missing_api_key",
        403 => "forbidden",
        404 => "not_found",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        _ => "invalid_request",
    };
}
