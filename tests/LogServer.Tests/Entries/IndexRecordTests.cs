using Attest.LogServer.Anchor;
using Attest.LogServer.Service;
using Attest.LogServer.Storage;

namespace Attest.LogServer.Tests.Entries;

/// <summary>
/// The typed index values against the numbers an existing index holds: a data directory written before the typed
/// values must read the same, so each encoding is pinned here, and each value decodes back to itself.
/// </summary>
public sealed class IndexRecordTests
{
    [Fact]
    public void an_entry_pointer_is_stored_as_its_index_alone()
    {
        Assert.Equal(new IndexValue(42, 0, 0), new EntryAt(42).ToIndexValue());
        Assert.Equal(new EntryAt(42), EntryAt.From(new IndexValue(42, 0, 0)));
    }

    [Theory]
    [InlineData(7, null, null, 7, 0, 0)]
    [InlineData(7, 0L, null, 7, 1, 0)] // a revocation at index 0 is still a revocation: hence the + 1
    [InlineData(7, 9L, null, 7, 10, 0)]
    [InlineData(7, null, 12L, 7, 0, 13)]
    [InlineData(7, 9L, 12L, 7, 10, 13)]
    public void an_attestation_state_stores_its_status_entries_one_above_their_index_and_none_as_zero(
        long entry, long? revocation, long? supersededBy, long a, long b, long c)
    {
        var state = new AttestationState(entry, revocation, supersededBy);
        Assert.Equal(new IndexValue(a, b, c), state.ToIndexValue());
        Assert.Equal(state, AttestationState.From(new IndexValue(a, b, c)));
    }

    [Fact]
    public void a_counter_counts_an_entry_once_and_stores_its_count_and_last_index()
    {
        var none = default(Counter);
        Assert.True(none.Counts(0));
        var one = none.With(5);
        Assert.Equal(new IndexValue(0, 1, 5), one.ToIndexValue());
        Assert.False(one.Counts(5));
        Assert.False(one.Counts(3));
        Assert.True(one.Counts(6));
        Assert.Equal(new Counter(2, 6), Counter.From(one.With(6).ToIndexValue()));
    }

    [Fact]
    public void the_stamps_of_a_content_hash_store_the_earliest_then_the_count()
    {
        var stamps = new ContentStamps(3, new Counter(4, 90));
        Assert.Equal(new IndexValue(3, 4, 90), stamps.ToIndexValue());
        Assert.Equal(stamps, ContentStamps.From(new IndexValue(3, 4, 90)));
    }

    [Fact]
    public void an_anchor_slot_stores_its_entry_index_then_its_tree_size()
    {
        Assert.Equal(new IndexValue(100, 64, 0), new AnchorSlot(100, 64).ToIndexValue());
        Assert.Equal(new AnchorSlot(100, 64), AnchorSlot.From(new IndexValue(100, 64, 0)));
    }

    [Fact]
    public void a_typed_value_put_in_the_index_is_read_back_as_typed_and_as_stored()
    {
        string dir = Path.Combine(Path.GetTempPath(), "attest-index-records-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var kv = new KvIndex(dir, EntryIndexer.Schema);
            var key = EntryIndexer.AttestationKey(Guid.NewGuid());
            Assert.False(kv.TryGet(key, out AttestationState missing));
            Assert.Equal(default, missing);
            kv.Put(key, new AttestationState(11, 20, null));
            Assert.True(kv.TryGet(key, out AttestationState state));
            Assert.Equal(new AttestationState(11, 20, null), state);
            Assert.True(kv.TryGet(key, out IndexValue stored));
            Assert.Equal(new IndexValue(11, 21, 0), stored);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
