using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.LogServer.Commands;

namespace Attest.LogServer.Service;

/// <summary>
/// The <c>Attest:Credits</c> section: what each charged write costs an API key that has a credit balance (a key
/// without one is unlimited), and the most credits one grant may add.
/// </summary>
public sealed class CreditOptions
{
    /// <summary>A stamp whose content the server keeps (a public stamp).</summary>
    public long Text { get; set; } = 1;

    /// <summary>A stamp of a content hash only.</summary>
    public long Hash { get; set; } = 1;

    /// <summary>A URL stamp.</summary>
    public long Url { get; set; } = 2;

    /// <summary>A mint, and a supersession (which mints the new attestation).</summary>
    public long Mint { get; set; } = 1;

    /// <summary>A SCITT Signed Statement registered (<c>POST /entries</c>); a repeat of a logged one costs nothing.</summary>
    public long Statement { get; set; } = 1;

    /// <summary>The most credits a key may be created with or given by one <c>POST /v1/api-keys/{id}/credits</c>.</summary>
    public long MaxGrant { get; set; } = 1_000_000_000;

    /// <summary>What a stamp costs, by what it stamps (a URL; or text, whose content the server keeps, or only its hash).</summary>
    public long Stamp(StampCommand command) => command.Url is not null ? Url : command.Content is null ? Hash : Text;

    public bool TryValidate(out string? problem)
    {
        problem = Text < 0 || Hash < 0 || Url < 0 || Mint < 0 || Statement < 0 ? "Attest:Credits:Text, Hash, Url, Mint and Statement must not be negative"
            : MaxGrant is < 1 or > CreditBalance.MaxCredits ? $"Attest:Credits:MaxGrant must be 1 to {CreditBalance.MaxCredits}"
            : null;
        return problem is null;
    }
}

/// <summary>
/// An API key's credits as the log says: the sum of its grants (the <c>credits</c> of its <c>api-key/v1</c> created
/// and credited events' private data) and of the charges logged with the writes it paid for (the <c>charge</c> in
/// their private data), and the last log index applied, so that applying an entry again changes nothing.
/// </summary>
public sealed record CreditBalance(Guid ApiKeyId, long Granted, long Spent, long LastEntryIndex)
{
    /// <summary>The largest balance: an integer every JSON reader holds exactly (RFC 7493 §2.2).</summary>
    public const long MaxCredits = (1L << 53) - 1;

    [System.Text.Json.Serialization.JsonIgnore]
    public long Remaining => Granted - Spent;
}

/// <summary>
/// The credit balance of one API key, kept by the <see cref="Registry"/>. Its logged state is derived from the log like
/// the rest of the registry; beside it, in memory only, the credits held by writes on their way to the log.
/// </summary>
/// <remarks>
/// Why a charge is exactly as durable as its write: the charge travels in the private data of the very record it pays
/// for, so one commit makes both durable or neither. A write acknowledged before a kill -9 is charged after the
/// restart (the indexer applies its record again); one never committed left no record and so no charge.
///
/// Why two concurrent writes cannot both spend the last credit: each <see cref="Reserve"/>s its cost before it
/// appends, against the logged balance less what others hold. When the indexer applies the record it moves the cost
/// from held to spent in one step, so the credits available never jump in between (and a request racing the last
/// credit is refused only when it really is gone); a write whose record is not appended gives back what it held
/// (<see cref="CreditCharge.Release"/>, <see cref="LogWriter.AppendCharging"/>). At recovery nothing is held, and
/// nothing is released below zero.
/// </remarks>
public sealed class CreditAccount(CreditBalance logged)
{
    private readonly Lock gate = new();
    private CreditBalance logged = logged; // replaced whole under gate, so a snapshot reads one consistent version
    private long held; // under gate

    public CreditBalance Logged => Volatile.Read(ref logged);

    /// <summary>The logged balance: grants less the charges of every write acknowledged so far.</summary>
    public long Remaining => Logged.Remaining;

    /// <summary>Holds <paramref name="credits"/> for a write about to be appended, or refuses it with 402 <c>insufficient_api_credits</c>.</summary>
    public CreditCharge Reserve(long credits)
    {
        lock (gate)
        {
            long available = logged.Remaining - held;
            if (available < credits)
                throw new DomainError(ErrorKind.InsufficientCredits, "insufficient_api_credits",
                    $"this request costs {credits} API credits and this API key has {Math.Max(0, available)} left; the admin adds credits with POST /v1/api-keys/{{id}}/credits");
            held += credits;
        }
        return new CreditCharge(this, credits);
    }

    internal void Release(long credits)
    {
        lock (gate) held = Math.Max(0, held - credits);
    }

    /// <summary>The indexer's: an entry at log index <paramref name="i"/> granted or spent credits; at or below the last index applied, nothing.</summary>
    internal void Apply(long i, long granted, long spent)
    {
        lock (gate)
        {
            if (i <= logged.LastEntryIndex) return;
            Volatile.Write(ref logged, logged with { Granted = logged.Granted + granted, Spent = logged.Spent + spent, LastEntryIndex = i });
            held = Math.Max(0, held - spent);
        }
    }
}

/// <summary>
/// Credits held for one write: written into its record's private data as <c>"charge": {"api_key_id", "credits"}</c>,
/// never into the public entry.
/// </summary>
public sealed record CreditCharge(CreditAccount Account, long Credits)
{
    /// <summary>Gives the credits back: only when the write's record was not appended.</summary>
    public void Release() => Account.Release(Credits);

    public void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("api_key_id", Account.Logged.ApiKeyId);
        w.WriteNumber("credits", Credits);
        w.WriteEndObject();
    }

    public JsonObject ToJson() => new() { ["api_key_id"] = Account.Logged.ApiKeyId.ToString(), ["credits"] = Credits };

    /// <summary>Reads a record's <c>charge</c>: the key that paid, and how much.</summary>
    public static (Guid ApiKeyId, long Credits) Parse(JsonElement charge) => (charge.Guid("api_key_id"), charge.GetProperty("credits").GetInt64());
}
