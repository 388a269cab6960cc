namespace Attest.LogServer;

/// <summary>The <c>Attest</c> configuration section (environment: <c>Attest__DataDir</c>, <c>Attest__Log__Origin</c>, …).</summary>
public sealed class AttestOptions
{
    /// <summary>Where the entry log, derived state and generated keys live.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>The admin API key. When absent, one is generated on first start, printed once, and only its hash kept.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Base64 of 32 bytes that encrypts issuer private keys at rest; when absent, <c>kek</c> in the data dir (mode 0600).</summary>
    public string? KeyEncryptionKey { get; set; }

    /// <summary>Largest accepted request body; larger bodies get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1 << 20;

    public LogOptions Log { get; set; } = new();

    public Api.RateLimitOptions RateLimits { get; set; } = new();

    public GrpcOptions Grpc { get; set; } = new();
}

public sealed class GrpcOptions
{
    /// <summary>Largest gRPC message, received or sent (before and after decompression); larger is RESOURCE_EXHAUSTED.</summary>
    public int MaxMessageBytes { get; set; } = 52 * 1024 * 1024;
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
}
