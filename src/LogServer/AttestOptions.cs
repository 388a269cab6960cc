namespace Attest.LogServer;

/// <summary>The <c>Attest</c> configuration section (environment: <c>Attest__DataDir</c>, <c>Attest__Log__Origin</c>, …).</summary>
public sealed class AttestOptions
{
    /// <summary>Where the entry log, derived state and generated keys live.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>The admin API key. When absent, one is generated on first start, printed once, and only its hash kept.</summary>
    public string? AdminKey { get; set; }

    /// <summary>
    /// Base64 of 32 bytes that encrypts issuer private keys at rest. When neither this nor
    /// <see cref="KeyEncryptionKeyFile"/> is set, <c>kek</c> in the data dir (mode 0600), with a warning at every start.
    /// </summary>
    public string? KeyEncryptionKey { get; set; }

    /// <summary>A file (outside the data dir) holding the base64 key-encryption key; the start fails if it is missing or malformed.</summary>
    public string? KeyEncryptionKeyFile { get; set; }

    /// <summary>Largest accepted request body; larger bodies get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1 << 20;

    /// <summary>
    /// Largest body of the keyless <c>POST /v1/verify</c> (larger gets 413): enough for a proof bundle or a small
    /// <c>document</c>; a relying party sends a large document's SHA-256 as <c>document_sha256</c> instead.
    /// </summary>
    public long MaxVerifyBodyBytes { get; set; } = 4 << 20;

    public LogOptions Log { get; set; } = new();

    public StorageOptions Storage { get; set; } = new();

    public Api.RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Caps on the fields of every write and on the log record (<c>Attest:Limits</c>).</summary>
    public Api.LimitOptions Limits { get; set; } = new();

    public GrpcOptions Grpc { get; set; } = new();

    public AnchorOptions Anchor { get; set; } = new();

    public WebOptions Web { get; set; } = new();

    public QuotaOptions Quotas { get; set; } = new();

    /// <summary>What charged writes cost API keys that have a credit balance (<c>Attest:Credits</c>).</summary>
    public Service.CreditOptions Credits { get; set; } = new();

    /// <summary>C2SP tlog-witnesses that cosign each checkpoint before it is published (docs/WITNESS.md); none by default.</summary>
    public List<Witnessing.WitnessOptions> Witnesses { get; set; } = [];

    public Witnessing.WitnessPolicyOptions WitnessPolicy { get; set; } = new();

    /// <summary>Where holders open the verification page, e.g. <c>https://attest.example</c>: the base of the links mails carry.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>Delivery of attestations to holders by e-mail (<c>recipient_email</c>); off unless its host is set.</summary>
    public Service.Mail.MailOptions Mail { get; set; } = new();

    public StampOptions Stamps { get; set; } = new();
}

/// <summary>The <c>Attest:Stamps</c> section.</summary>
public sealed class StampOptions
{
    /// <summary>How far ahead a sealed stamp's <c>sealed_until</c> must be, in seconds (TruthStamp: 10 minutes).</summary>
    public long MinSealSeconds { get; set; } = 600;
    public Snapshots.UrlSnapshotOptions UrlSnapshots { get; set; } = new();
}

/// <summary>The <c>Attest:Web</c> section: the verification page at <c>/</c>.</summary>
public sealed class WebOptions
{
    /// <summary>
    /// A block explorer's transaction URL, with <c>{tx_hash}</c> (and optionally <c>{chain_id}</c>) in it; when
    /// set, the page links anchor transactions there, else it shows the chain id and hash only.
    /// </summary>
    public string? ExplorerTxUrl { get; set; }
}

/// <summary>The <c>Attest:Quotas</c> section: per-issuer limits (0: unlimited). Over a quota is 429 <c>quota_exceeded</c>.</summary>
public sealed class QuotaOptions
{
    /// <summary>Payload bytes (mint and supersede <c>payload</c> uploads) one issuer may store per UTC day. Counted in memory: a restart starts the day afresh.</summary>
    public long MaxBlobBytesPerDay { get; set; } = 1L << 30;

    /// <summary>Signing keys one issuer may have, rotated and compromised ones included (they stay in the keyring).</summary>
    public int MaxKeysPerIssuer { get; set; } = 100;

    /// <summary>Verification packs one issuer may have.</summary>
    public int MaxPacksPerIssuer { get; set; } = 100;

    /// <summary>API keys one issuer may have that are not revoked.</summary>
    public int MaxApiKeysPerIssuer { get; set; } = 100;
}

/// <summary>The <c>Attest:Anchor</c> section: checkpoints anchored in an EVM chain. Off unless <see cref="RpcUrl"/> is set.</summary>
public sealed class AnchorOptions
{
    /// <summary>The node's JSON-RPC URL. It may hold a provider's API key, so it is never logged.</summary>
    public string? RpcUrl { get; set; }

    /// <summary>The anchoring account's secp256k1 private key, 64 hex digits (0x optional). A secret: never logged.</summary>
    public string? PrivateKey { get; set; }

    /// <summary>When set, the node must report this chain id, or nothing is sent.</summary>
    public long? ChainId { get; set; }

    /// <summary>At most one anchor transaction is started per interval, and only when the tree grew.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Blocks (the including block counts as one) before a transaction's receipt is recorded and logged.</summary>
    public int Confirmations { get; set; } = 6;

    /// <summary>The transactions' recipient, <c>0x…</c>; by default the anchoring account itself.</summary>
    public string? To { get; set; }

    /// <summary>An anchor transaction not mined after this long is replaced by one paying higher fees.</summary>
    public TimeSpan ReplaceAfter { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How long one JSON-RPC call may take before it counts as failed.</summary>
    public TimeSpan RpcTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The most wei a gas the anchorer ever offers (maxFeePerGas, or gasPrice on a chain without base fee),
    /// replacements included. While the chain asks more, it waits and says so in <c>/v1/anchors/status</c>.
    /// </summary>
    public long MaxFeePerGas { get; set; } = 200_000_000_000;

    /// <summary>The largest gas limit of an anchor transaction; an estimate above it sends nothing. With <see cref="MaxFeePerGas"/>, it bounds what one anchor can cost.</summary>
    public long MaxGas { get; set; } = 100_000;

    /// <summary>How many times one anchor's transaction is replaced at higher fees; then the last one is waited for.</summary>
    public int MaxReplacements { get; set; } = 5;
}

/// <summary>The <c>Attest:Storage</c> section: the data directory's disk.</summary>
public sealed class StorageOptions
{
    /// <summary>
    /// Writes (log entries, blobs) are refused with 507 while the data directory's filesystem has less than this
    /// many bytes available, so the disk never fills under the entry log; 0 turns the check off.
    /// </summary>
    public long MinFreeBytes { get; set; } = 256L << 20;
}

public sealed class GrpcOptions
{
    /// <summary>Largest gRPC message, received or sent (before and after decompression); larger is RESOURCE_EXHAUSTED.</summary>
    public int MaxMessageBytes { get; set; } = 52 * 1024 * 1024;

    /// <summary>Streams (calls) one HTTP/2 connection may have open at once (Kestrel's Http2.MaxStreamsPerConnection).</summary>
    public int MaxConcurrentStreams { get; set; } = 100;
}

public sealed class LogOptions
{
    /// <summary>The checkpoint origin line, and the name of the log's signing key.</summary>
    public string Origin { get; set; } = "attest.local/log";

    /// <summary>Go <c>PRIVATE+KEY+…</c> form. When absent, one is generated in the data dir on first start and kept.</summary>
    public string? PrivateKey { get; set; }

    /// <summary>A new checkpoint is signed at least this often while the tree grows.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The most submissions one durable commit covers.</summary>
    public int MaxBatch { get; set; } = 8192;

    /// <summary>How often the FASTER index is checkpointed, bounding the entries re-applied after a crash.</summary>
    public TimeSpan IndexCheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The write rate of a periodic index checkpoint, per writer (MB/s; 0: no cap), so that its burst of writes does
    /// not hold up the entry log's commits. The checkpoint at shutdown goes at full speed.
    /// </summary>
    public int IndexCheckpointMegabytesPerSecond { get; set; } = 40;

    /// <summary>
    /// The transparency service's receipt key (COSE receipts, docs/SCITT.md): a PEM file holding a P-256 private key
    /// (PKCS#8 or SEC1). When absent, <c>scitt-key.pem</c> in the data dir, generated on first start and kept.
    /// </summary>
    public string? ReceiptKeyFile { get; set; }
}
