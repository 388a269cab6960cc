using Attest.LogServer.Service;

namespace Attest.LogServer.Tests.Verification;

/// <summary>
/// docs/VERIFYING.md "The key rule" as the server applies it to the id, payload and document-hash forms of
/// POST /v1/verify: by the signer's time and by the log's order.
/// </summary>
public sealed class KeyRuleTests
{
    private static readonly DateTimeOffset Created = DateTimeOffset.Parse("2026-01-01T00:00:00Z");

    // Created at entry 10; the event that changed it (rotation or compromise) is entry 50.
    private static IssuerKey Key(string? rotatedAt = null, string? compromisedAt = null) => new(
        "k1", Guid.NewGuid(), "Ed25519", "pk", compromisedAt is not null ? IssuerKey.Compromised : rotatedAt is not null ? IssuerKey.Rotated : IssuerKey.Active,
        "2026-01-01T00:00:00Z", rotatedAt, rotatedAt is null ? null : "k2", compromisedAt, "seed", CreatedEntryIndex: 10,
        LastEntryIndex: rotatedAt is null && compromisedAt is null ? 10 : 50, RotatedEntryIndex: rotatedAt is null ? 0 : 50);

    [Fact]
    public void an_active_key_signs_anything_after_its_creation()
    {
        Assert.Null(VerifyService.KeyRule(Key(), Created, 11));
        Assert.Null(VerifyService.KeyRule(Key(), Created.AddYears(1), 1_000_000));
    }

    [Fact]
    public void a_signature_before_the_key_existed_by_time_or_by_log_order_fails()
    {
        Assert.Equal("key_not_yet_created", VerifyService.KeyRule(Key(), Created.AddSeconds(-1), 11));
        Assert.Equal("key_not_yet_created", VerifyService.KeyRule(Key(), Created.AddSeconds(1), 9));
    }

    [Fact]
    public void a_compromised_key_fails_at_or_after_compromised_at_or_when_logged_after_the_compromise()
    {
        var key = Key(compromisedAt: "2026-03-01T00:00:00Z");
        var at = DateTimeOffset.Parse("2026-03-01T00:00:00Z");
        Assert.Null(VerifyService.KeyRule(key, at.AddMilliseconds(-1), 49));
        Assert.Equal("key_compromised", VerifyService.KeyRule(key, at, 49));
        Assert.Equal("key_compromised", VerifyService.KeyRule(key, at.AddDays(1), 49));
        // Backdated, but logged after the compromise entry: the log's order is not the signer's to choose.
        Assert.Equal("key_compromised", VerifyService.KeyRule(key, at.AddDays(-1), 51));
    }

    [Fact]
    public void a_rotated_key_keeps_what_it_signed_before_and_signs_nothing_after()
    {
        var key = Key(rotatedAt: "2026-02-01T00:00:00Z");
        var at = DateTimeOffset.Parse("2026-02-01T00:00:00Z");
        Assert.Null(VerifyService.KeyRule(key, at, 49));
        Assert.Equal("key_rotated_before_signing", VerifyService.KeyRule(key, at.AddMilliseconds(1), 49));
        Assert.Equal("key_rotated_before_signing", VerifyService.KeyRule(key, at.AddDays(-1), 51));
    }
}
