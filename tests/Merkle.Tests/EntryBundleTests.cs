using System.Buffers;
using System.Text;

namespace Attest.Merkle.Tests;

public class EntryBundleTests
{
    private static byte[] Bundle(params byte[][] entries)
    {
        var w = new ArrayBufferWriter<byte>();
        foreach (var e in entries) EntryBundle.Append(w, e);
        return w.WrittenSpan.ToArray();
    }

    [Fact]
    public void an_entry_is_written_as_its_big_endian_uint16_length_then_its_bytes()
    {
        Assert.Equal(Convert.FromHexString("00036f6e65" + "0000" + "0003747776"), Bundle("one"u8.ToArray(), [], "twv"u8.ToArray()));
    }

    [Fact]
    public void entries_of_every_length_up_to_65535_round_trip()
    {
        byte[][] entries = [[], [7], new byte[255], new byte[256], new byte[ushort.MaxValue]];
        new Random(1).NextBytes(entries[4]);
        var parsed = new List<byte[]>();
        Assert.True(EntryBundle.TryParse(Bundle(entries), entries.Length, parsed));
        Assert.Equal(entries, parsed);
    }

    [Fact]
    public void an_entry_longer_than_65535_bytes_cannot_be_written()
    {
        var w = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => EntryBundle.Append(w, new byte[ushort.MaxValue + 1]));
        Assert.Equal(0, w.WrittenCount);
    }

    public static TheoryData<string, int> Malformed => new()
    {
        { "", 1 },                     // no entries
        { "00", 1 },                   // half a length
        { "0003", 1 },                 // length, no bytes
        { "00036f6e", 1 },             // entry cut short
        { "00036f6e6500", 1 },         // trailing byte
        { "00036f6e650000", 1 },       // a second, unexpected entry
        { "00036f6e65", 2 },           // fewer entries than the tile's width
        { "ffff", 1 },                 // a length running past the end
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void a_malformed_bundle_is_rejected_and_leaves_the_list_unchanged(string hex, int count)
    {
        var parsed = new List<byte[]> { Encoding.ASCII.GetBytes("before") };
        Assert.False(EntryBundle.TryParse(Convert.FromHexString(hex), count, parsed));
        Assert.Single(parsed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(257)]
    public void a_count_no_tile_can_have_is_a_caller_error(int count)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EntryBundle.TryParse(Bundle([1]), count, []));
    }
}
