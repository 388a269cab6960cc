using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Attest.Merkle.Tests;

public class JcsTests
{
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string Canonical(string json)
    {
        Assert.True(Jcs.TryCanonicalize(Utf8(json), out var canonical, out var error), error);
        Assert.Null(error);
        return Encoding.UTF8.GetString(canonical!);
    }

    private static string Rejection(ReadOnlySpan<byte> json, int maxDepth = 64)
    {
        Assert.False(Jcs.TryCanonicalize(json, out var canonical, out var error, maxDepth));
        Assert.Null(canonical);
        Assert.False(string.IsNullOrWhiteSpace(error));
        return error!;
    }

    // ---- RFC 8785 examples -------------------------------------------------------------------------------------

    /// <summary>§3.2.2 input; §3.2.3 shows its canonical form and §3.2.4 its UTF-8 bytes.</summary>
    private const string Rfc8785Sample = """
        {
          "numbers": [333333333.33333329, 1E30, 4.50,
                      2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }
        """;

    private static readonly byte[] Rfc8785SampleBytes = Convert.FromHexString(string.Concat("""
        7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72
        75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a
        5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31
        65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37
        5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30
        30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d
        """.Where(char.IsAsciiHexDigit)));

    [Fact]
    public void rfc_8785_sample_canonicalizes_to_the_bytes_of_section_3_2_4()
    {
        Assert.True(Jcs.TryCanonicalize(Utf8(Rfc8785Sample), out var canonical, out var error), error);
        Assert.Equal(Rfc8785SampleBytes, canonical);
        Assert.Equal("{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}",
            Encoding.UTF8.GetString(canonical!));
    }

    [Fact]
    public void every_entry_point_gives_the_same_bytes_for_the_rfc_8785_sample()
    {
        using var document = JsonDocument.Parse(Rfc8785Sample);
        Assert.Equal(Rfc8785SampleBytes, Jcs.Canonicalize(document.RootElement));
        Assert.Equal(Rfc8785SampleBytes, Jcs.Canonicalize(JsonNode.Parse(Rfc8785Sample)));

        var output = new ArrayBufferWriter<byte>();
        output.Write("prefix:"u8);
        Jcs.Canonicalize(document.RootElement, output);
        Assert.Equal([.. "prefix:"u8, .. Rfc8785SampleBytes], output.WrittenSpan.ToArray());
    }

    [Fact]
    public void rfc_8785_sorting_example_orders_property_names_by_utf16_code_units()
    {
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;
        var canonical = Canonical(input);

        // §3.2.3: the expected order of the values. U+1F600 (surrogates D83D DE00) sorts before U+FB33 in UTF-16,
        // though not in UTF-8 or by code point.
        using var document = JsonDocument.Parse(canonical);
        Assert.Equal(
            ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"],
            document.RootElement.EnumerateObject().Select(p => p.Value.GetString()));
        Assert.Equal(
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\"," +
            "\"\u20ac\":\"Euro Sign\",\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
            canonical);
    }

    /// <summary>RFC 8785 Appendix B, Table 1, every finite row: IEEE 754 bits and their JSON representation.</summary>
    [Theory]
    [InlineData("0000000000000000", "0")]
    [InlineData("8000000000000000", "0")]
    [InlineData("0000000000000001", "5e-324")]
    [InlineData("8000000000000001", "-5e-324")]
    [InlineData("7fefffffffffffff", "1.7976931348623157e+308")]
    [InlineData("ffefffffffffffff", "-1.7976931348623157e+308")]
    [InlineData("4340000000000000", "9007199254740992")]
    [InlineData("c340000000000000", "-9007199254740992")]
    [InlineData("4430000000000000", "295147905179352830000")]
    [InlineData("44b52d02c7e14af5", "9.999999999999997e+22")]
    [InlineData("44b52d02c7e14af6", "1e+23")]
    [InlineData("44b52d02c7e14af7", "1.0000000000000001e+23")]
    [InlineData("444b1ae4d6e2ef4e", "999999999999999700000")]
    [InlineData("444b1ae4d6e2ef4f", "999999999999999900000")]
    [InlineData("444b1ae4d6e2ef50", "1e+21")]
    [InlineData("3eb0c6f7a0b5ed8c", "9.999999999999997e-7")]
    [InlineData("3eb0c6f7a0b5ed8d", "0.000001")]
    [InlineData("41b3de4355555553", "333333333.3333332")]
    [InlineData("41b3de4355555554", "333333333.33333325")]
    [InlineData("41b3de4355555555", "333333333.3333333")]
    [InlineData("41b3de4355555556", "333333333.3333334")]
    [InlineData("41b3de4355555557", "333333333.33333343")]
    [InlineData("becbf647612f3696", "-0.0000033333333333333333")]
    [InlineData("43143ff3c1cb0959", "1424953923781206.2")]
    public void appendix_b_numbers_serialize_as_ecmascript_does(string ieee754, string expected)
    {
        var value = BitConverter.UInt64BitsToDouble(ulong.Parse(ieee754, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        Assert.Equal(expected, Encoding.UTF8.GetString(Jcs.Canonicalize(JsonValue.Create(value))));
        // The same value as JSON text ("R" round-trips exactly) through the strict parser.
        Assert.Equal(expected, Canonical(value.ToString("R", CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("7fffffffffffffff")] // Appendix B: NaN
    [InlineData("7ff0000000000000")] // Appendix B: Infinity
    [InlineData("fff0000000000000")]
    public void appendix_b_nan_and_infinity_are_rejected(string ieee754)
    {
        var value = BitConverter.UInt64BitsToDouble(ulong.Parse(ieee754, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        Assert.ThrowsAny<ArgumentException>(() => Jcs.Canonicalize(JsonValue.Create(value)));
        Assert.ThrowsAny<ArgumentException>(() => Jcs.Canonicalize(new JsonArray(JsonValue.Create((float)value))));
    }

    // ---- cyberphone/json-canonicalization testdata -------------------------------------------------------------

    private static string[] CyberphoneNames() =>
        [.. Directory.GetFiles(TestData.PathOf("jcs", "input"), "*.json").Select(path => Path.GetFileNameWithoutExtension(path)).Order()];

    public static TheoryData<string> CyberphoneVectors() => new(CyberphoneNames());

    [Theory]
    [MemberData(nameof(CyberphoneVectors))]
    public void cyberphone_testdata_canonicalizes_to_its_expected_output(string name)
    {
        var input = File.ReadAllBytes(TestData.PathOf("jcs", "input", name + ".json"));
        var expected = File.ReadAllBytes(TestData.PathOf("jcs", "output", name + ".json"));
        Assert.True(Jcs.TryCanonicalize(input, out var canonical, out var error), error);
        Assert.Equal(expected, canonical);
        Assert.Equal(expected, Jcs.Canonicalize(JsonNode.Parse(input)));
    }

    [Fact]
    public void all_six_copied_cyberphone_vectors_are_present()
    {
        Assert.Equal(["french", "simpleString", "structures", "unicode", "values", "weird"], CyberphoneNames());
    }

    // ---- serialization rules -----------------------------------------------------------------------------------

    [Fact]
    public void strings_are_escaped_as_ecmascript_json_stringify_escapes_them()
    {
        // §3.2.2.2: \b \t \n \f \r; other controls as lowercase \u00hh; \" and \\; everything else literal UTF-8,
        // including DEL, U+2028/U+2029, '/', '<', '&' and astral characters.
        const string input = "\"\\u0000\\u0001\\u0007\\b\\t\\n\\u000B\\f\\r\\u000e\\u001F \\u007f\\u0080\\u2028\\u2029\\/<>&'\\\"\\\\\\uD83D\\uDE00\\uffff\"";
        Assert.Equal("\"\\u0000\\u0001\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u001f \u007f\u0080\u2028\u2029/<>&'\\\"\\\\\U0001F600\uffff\"", Canonical(input));
    }

    [Fact]
    public void json_node_strings_are_escaped_by_the_same_rules()
    {
        var node = JsonValue.Create("\0\u001f\b\t\n\f\r\"\\/\u007f\u2028\U0001F600é");
        Assert.Equal("\"\\u0000\\u001f\\b\\t\\n\\f\\r\\\"\\\\/\u007f\u2028\U0001F600é\"", Encoding.UTF8.GetString(Jcs.Canonicalize(node)));
    }

    [Theory]
    [InlineData("1E30", "1e+30")]
    [InlineData("4.50", "4.5")]
    [InlineData("2e-3", "0.002")]
    [InlineData("0.000000000000000000000000001", "1e-27")]
    [InlineData("1e21", "1e+21")]
    [InlineData("1e20", "100000000000000000000")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("0.0000001", "1e-7")]
    [InlineData("-0", "0")]
    [InlineData("-0.0e5", "0")]
    [InlineData("100", "100")]
    [InlineData("56.0", "56")]
    [InlineData("-1.5E+2", "-150")]
    [InlineData("0.30000000000000004", "0.30000000000000004")]
    [InlineData("9007199254740993", "9007199254740992")] // 2^53 + 1 rounds to the even neighbour 2^53
    [InlineData("1e-400", "0")] // underflow: the nearest double is 0, as JSON.parse gives
    public void number_text_is_rewritten_as_ecmascript_writes_the_nearest_double(string json, string expected)
    {
        Assert.Equal(expected, Canonical(json));
    }

    [Fact]
    public void whitespace_is_removed_arrays_keep_their_order_and_nested_objects_are_sorted()
    {
        Assert.Equal("[3,1,{\"a\":[],\"b\":{}},2,[{\"x\":null,\"y\":true}]]",
            Canonical(" [ 3 ,\t1 ,\r\n { \"b\" : { } , \"a\" : [ ] } , 2 , [ { \"y\" : true , \"x\" : null } ] ] "));
        Assert.Equal("{\"\":0,\"a\":1,\"aa\":2,\"ab\":3}", Canonical("{\"ab\":3,\"aa\":2,\"a\":1,\"\":0}")); // §3.2.3's plain-English order
    }

    [Fact]
    public void json_nodes_built_in_code_canonicalize_like_their_json_text()
    {
        var node = new JsonObject
        {
            ["c"] = long.MaxValue, // nearest double is 2^63
            ["b"] = 1,
            ["a"] = new JsonArray(1.5, "x\u2028", true, null, 1e22m, 0.1f),
            ["d"] = 0.10m,
            ["\U0001F600"] = new JsonObject(),
            ["\ufb33"] = new JsonArray(),
        };
        Assert.Equal("{\"a\":[1.5,\"x\u2028\",true,null,1e+22,0.1],\"b\":1,\"c\":9223372036854776000,\"d\":0.1,\"\U0001F600\":{},\"\ufb33\":[]}",
            Encoding.UTF8.GetString(Jcs.Canonicalize(node)));
        Assert.Equal("null"u8.ToArray(), Jcs.Canonicalize((JsonNode?)null));
    }

    [Fact]
    public void an_object_written_member_by_member_equals_the_canonical_form_of_the_same_object()
    {
        var value = JsonDocument.Parse("{\"z\":[1e21,\"\\u0007\"],\"a\":{\"b\":1,\"a\":2}}").RootElement;
        var output = new ArrayBufferWriter<byte>();
        new Jcs.ObjectWriter(output).String("", "\"q\"\n").String("a", "\u2028ë").Value("aa", value).String("b", "\U0001F600").String("\ufb33", "").End();
        var expected = new JsonObject
        {
            ["\ufb33"] = "", ["b"] = "\U0001F600", ["aa"] = JsonNode.Parse(value.GetRawText()), ["a"] = "\u2028ë", [""] = "\"q\"\n",
        };
        Assert.Equal(Encoding.UTF8.GetString(Jcs.Canonicalize(expected)), Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData("b", "a")]
    [InlineData("a", "a")]
    [InlineData("\ufb33", "\U0001F600")] // UTF-16 order puts U+1F600 (0xD83D 0xDE00) before U+FB33
    public void an_object_written_out_of_canonical_order_is_refused(string first, string second)
    {
        var writer = new Jcs.ObjectWriter(new ArrayBufferWriter<byte>()).String(first, "1");
        Assert.Throws<ArgumentException>(() => writer.String(second, "2"));
    }

    [Fact]
    public void an_object_writer_refuses_a_lone_surrogate()
    {
        Assert.ThrowsAny<ArgumentException>(() => new Jcs.ObjectWriter(new ArrayBufferWriter<byte>()).String("a", "x\ud800"));
        Assert.ThrowsAny<ArgumentException>(() => new Jcs.ObjectWriter(new StingyWriter()).String("a", string.Concat(Enumerable.Repeat("ë😀", 40)) + "\ud800"));
    }

    [Theory]
    [InlineData("ë")]
    [InlineData("😀")]
    [InlineData("aë😀\u2028€")]
    [InlineData("😀a")]
    public void long_strings_written_in_pieces_into_a_writer_that_gives_only_the_room_asked_for_are_canonical(string unit)
    {
        // Non-ASCII text needs more room than its length, so the writer transcodes it in several pieces; with units
        // of odd lengths, some pieces end next to a surrogate pair.
        string text = string.Concat(Enumerable.Repeat(unit, 50));
        var output = new StingyWriter();
        new Jcs.ObjectWriter(output).String("k" + text, text).End();
        Assert.Equal(Encoding.UTF8.GetString(Jcs.Canonicalize(new JsonObject { ["k" + text] = text })), Encoding.UTF8.GetString(output.Written.ToArray()));
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> that never gives more room than asked for.</summary>
    private sealed class StingyWriter : IBufferWriter<byte>
    {
        private byte[] current = [];

        public List<byte> Written { get; } = [];

        public Memory<byte> GetMemory(int sizeHint = 0) => current = new byte[Math.Max(sizeHint, 1)];

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public void Advance(int count) => Written.AddRange(current.AsSpan(0, count));
    }

    [Fact]
    public void json_nodes_with_lone_surrogates_are_rejected()
    {
        Assert.ThrowsAny<ArgumentException>(() => Jcs.Canonicalize(JsonValue.Create("a\ud800")));
        Assert.ThrowsAny<ArgumentException>(() => Jcs.Canonicalize(JsonValue.Create("\udc00b")));
        Assert.ThrowsAny<ArgumentException>(() => Jcs.Canonicalize(new JsonObject { ["\ude00\ud83d"] = 1 }));
    }

    [Fact]
    public void json_elements_with_duplicate_names_or_huge_numbers_are_rejected()
    {
        using var duplicates = JsonDocument.Parse("{\"a\":1,\"b\":{\"c\":1,\"c\":2}}");
        Assert.ThrowsAny<ArgumentException>(() => Jcs.Canonicalize(duplicates.RootElement));
        using var huge = JsonDocument.Parse("[1e309]");
        Assert.ThrowsAny<ArgumentException>(() => Jcs.Canonicalize(huge.RootElement));
        Assert.ThrowsAny<ArgumentException>(() => Jcs.Canonicalize(default(JsonElement)));
    }

    // ---- strict parsing (RFC 8785 §3.1, I-JSON) ----------------------------------------------------------------

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}")]
    [InlineData("{\"a\":1,\"b\":2,\"a\":1}")]
    [InlineData("{\"a\":1,\"\\u0061\":2}")] // same name, different escapes
    [InlineData("[0,{\"x\":[{\"k\":1,\"k\":1}]}]")]
    [InlineData("{\"o\":{\"p\":{\"q\":{\"k\":0,\"j\":1,\"k\":0}}}}")]
    public void duplicate_property_names_are_rejected_at_any_depth(string json)
    {
        Assert.Contains("duplicate", Rejection(Utf8(json)));
    }

    [Theory]
    [InlineData("\"\\ud800\"")]
    [InlineData("\"\\udc00\"")]
    [InlineData("\"x\\ud800\"")]
    [InlineData("\"\\ud800\\u0041\"")]
    [InlineData("\"\\ud800\\ud800\"")]
    [InlineData("\"\\ude00\\ud83d\"")]
    [InlineData("\"\\uD800\\n\"")]
    [InlineData("[{\"a\":\"ok\",\"b\":\"\\udfff\"}]")]
    [InlineData("{\"\\ud800\":1}")]
    public void lone_surrogates_are_rejected(string json)
    {
        Assert.Contains("surrogate", Rejection(Utf8(json)));
    }

    [Theory]
    [InlineData("22ff22")] // 0xFF never occurs in UTF-8
    [InlineData("22c0af22")] // overlong '/'
    [InlineData("22e28222")] // truncated '€'
    [InlineData("22eda08022")] // U+D800 encoded as UTF-8
    [InlineData("22f490808022")] // beyond U+10FFFF
    [InlineData("2261e2822022")] // truncated sequence before more text
    [InlineData("5b225c6e80225d")] // a lone continuation byte right after an escape: ["\n?"]
    [InlineData("7b22ff223a317d")] // in a property name
    [InlineData("efbbbf31")] // a byte order mark
    [InlineData("ff")] // not JSON at all
    public void invalid_utf8_is_rejected(string hex)
    {
        Rejection(Convert.FromHexString(hex));
    }

    [Theory]
    [InlineData("[1,2,]")]
    [InlineData("{\"a\":1,}")]
    [InlineData("[1 /* comment */]")]
    [InlineData("// comment\n1")]
    [InlineData("[1] // comment")]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("nope")]
    [InlineData("{")]
    [InlineData("[1] [2]")]
    [InlineData("{\"a\" 1}")]
    [InlineData("{a:1}")]
    [InlineData("'a'")]
    [InlineData("\"tab\tinside\"")]
    [InlineData("\"\\x41\"")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("01")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("+1")]
    [InlineData("0x10")]
    [InlineData("True")]
    public void text_that_is_not_exactly_one_json_value_is_rejected(string json)
    {
        Rejection(Utf8(json));
    }

    [Theory]
    [InlineData("1e309")]
    [InlineData("-1e309")]
    [InlineData("[1.8e308]")]
    [InlineData("{\"n\":123456789e301}")]
    public void numbers_beyond_the_double_range_are_rejected(string json)
    {
        Assert.Contains("number", Rejection(Utf8(json)));
    }

    [Fact]
    public void nesting_deeper_than_max_depth_is_rejected()
    {
        static string Arrays(int depth) => new string('[', depth) + new string(']', depth);
        static string Objects(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

        Assert.Equal(Arrays(64), Canonical(Arrays(64)));
        Rejection(Utf8(Arrays(65)));
        Assert.Equal(Objects(64), Canonical(Objects(64)));
        Rejection(Utf8(Objects(65)));

        Assert.True(Jcs.TryCanonicalize(Utf8(Arrays(3)), out _, out _, maxDepth: 3));
        Assert.Contains("depth", Rejection(Utf8(Arrays(4)), maxDepth: 3));
        Assert.True(Jcs.TryCanonicalize("[1]"u8, out _, out _, maxDepth: 1));
        Rejection("{\"a\":[]}"u8, maxDepth: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => Jcs.TryCanonicalize("1"u8, out _, out _, maxDepth: 0));
    }

    // ---- cross-check with an independent implementation --------------------------------------------------------

    /// <summary>
    /// 200 seeded random documents (nested objects and arrays; strings with controls, quotes, U+2028, astral characters
    /// and random escaping; doubles of every magnitude) must canonicalize byte for byte as the npm package
    /// "canonicalize" (RFC 8785 Appendix G) does under Node.js. Installs it with npm ci when node_modules is missing;
    /// fails, never skips, when node or npm is missing.
    /// </summary>
    [Fact]
    public async Task random_documents_canonicalize_exactly_as_the_npm_canonicalize_package_does()
    {
        var random = new Random(8785);
        var documents = Enumerable.Range(0, 200).Select(_ => RandomJson.Document(random)).ToArray();

        var ours = new List<byte[]>();
        foreach (var document in documents)
        {
            Assert.True(Jcs.TryCanonicalize(Utf8(document), out var canonical, out var error), error + " in " + document);
            Assert.Equal(canonical, Jcs.Canonicalize(JsonNode.Parse(document)));
            Assert.True(Jcs.TryCanonicalize(canonical, out var again, out _));
            Assert.Equal(canonical, again); // canonical output is a fixed point
            ours.Add(canonical!);
        }

        var theirs = await NodeCanonicalize(documents);
        Assert.Equal(documents.Length, theirs.Count);
        for (var i = 0; i < documents.Length; i++)
        {
            if (!ours[i].AsSpan().SequenceEqual(theirs[i]))
            {
                Assert.Fail($"document {i} differs from npm canonicalize\ninput:  {documents[i]}\nours:   {Encoding.UTF8.GetString(ours[i])}\ntheirs: {Encoding.UTF8.GetString(theirs[i])}");
            }
        }
    }

    private static async Task<List<byte[]>> NodeCanonicalize(IEnumerable<string> documents)
    {
        string folder = ExternalTools.Interop("jcs");
        await ExternalTools.NpmCi(folder, "canonicalize");

        var input = Path.GetTempFileName();
        var output = Path.GetTempFileName();
        try
        {
            // One document a line: the generator never writes a raw line break, and canonical JSON has none.
            File.WriteAllText(input, string.Join('\n', documents) + "\n", new UTF8Encoding(false));
            var run = await ExternalTools.Run("node", [Path.Combine(folder, "canonicalize-lines.mjs"), input, output], folder, TimeSpan.FromMinutes(2));
            Assert.True(run.ExitCode == 0, $"node canonicalize-lines.mjs failed: {run}");
            var bytes = File.ReadAllBytes(output);
            var lines = new List<byte[]>();
            for (var rest = bytes.AsSpan(); !rest.IsEmpty;)
            {
                var end = rest.IndexOf((byte)'\n');
                Assert.True(end >= 0, "node output does not end with a line break");
                lines.Add(rest[..end].ToArray());
                rest = rest[(end + 1)..];
            }
            return lines;
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }

    /// <summary>Random JSON text on one line, valid I-JSON, with no duplicate names and no lone surrogates.</summary>
    private static class RandomJson
    {
        public static string Document(Random random)
        {
            var text = new StringBuilder();
            Value(random, text, depth: 0);
            return text.ToString();
        }

        private static void Space(Random random, StringBuilder text)
        {
            if (random.Next(4) == 0) text.Append(random.Next(2) == 0 ? " " : "\t ");
        }

        private static void Value(Random random, StringBuilder text, int depth)
        {
            Space(random, text);
            var kind = depth == 0 ? random.Next(2) : depth < 4 ? random.Next(8) : random.Next(2, 8); // containers up to depth 4
            switch (kind)
            {
                case 0:
                    var names = new HashSet<string>(StringComparer.Ordinal);
                    var members = random.Next(8);
                    text.Append('{');
                    for (var i = 0; i < members; i++)
                    {
                        var name = String(random, random.Next(6));
                        if (!names.Add(name)) continue;
                        if (names.Count > 1) text.Append(',');
                        Space(random, text);
                        Quoted(random, text, name);
                        Space(random, text);
                        text.Append(':');
                        Value(random, text, depth + 1);
                    }
                    text.Append('}');
                    break;
                case 1:
                    var items = random.Next(7);
                    text.Append('[');
                    for (var i = 0; i < items; i++)
                    {
                        if (i > 0) text.Append(',');
                        Value(random, text, depth + 1);
                    }
                    Space(random, text);
                    text.Append(']');
                    break;
                case 2:
                case 3:
                    Quoted(random, text, String(random, random.Next(12)));
                    break;
                case 4:
                    text.Append(random.Next(3) switch { 0 => "true", 1 => "false", _ => "null" });
                    break;
                default:
                    Number(random, text);
                    break;
            }
            Space(random, text);
        }

        private static void Number(Random random, StringBuilder text)
        {
            double value;
            switch (random.Next(8))
            {
                case 0: // any finite bit pattern: subnormals, huge and tiny values
                    do value = BitConverter.Int64BitsToDouble(random.NextInt64(long.MinValue, long.MaxValue));
                    while (!double.IsFinite(value));
                    break;
                case 1:
                    value = random.NextInt64(-(1L << 53), 1L << 53);
                    break;
                case 2:
                    value = random.Next(-1000, 1000);
                    break;
                case 3: // around the switches between plain, decimal and exponent forms (1e21, 1e-6)
                    value = (random.Next(2) == 0 ? 1 : -1) * Math.Pow(10, random.Next(-9, 25)) * (1 + random.Next(-1, 2) * 1e-15);
                    break;
                case 4:
                    value = Math.Round((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(0, 12)), random.Next(0, 8));
                    break;
                case 5:
                    value = random.NextDouble() * Math.Pow(10, random.Next(-320, 309));
                    break;
                case 6:
                    value = random.Next(2) == 0 ? -0.0 : double.Epsilon * random.Next(1, 1000);
                    break;
                default:
                    value = random.NextDouble() / random.Next(1, 100_000);
                    break;
            }
            if (!double.IsFinite(value)) value = 1;
            var number = value.ToString("R", CultureInfo.InvariantCulture);
            // Vary the spelling: exponent case and "+", trailing fraction zeros.
            if (random.Next(3) == 0) number = number.Replace("E+", random.Next(2) == 0 ? "e" : "e+").Replace('E', 'e');
            if (random.Next(4) == 0 && !number.Contains('E') && !number.Contains('e')) number += number.Contains('.') ? "00" : ".0";
            text.Append(number);
        }

        private static string String(Random random, int length)
        {
            var text = new StringBuilder();
            for (var i = 0; i < length; i++)
            {
                int scalar = random.Next(10) switch
                {
                    0 => random.Next(0x00, 0x20), // controls
                    1 => "\"\\/'<>&\u007f"[random.Next(8)],
                    2 => random.Next(0x80, 0x800),
                    3 => random.Next(0x800, 0xD800),
                    4 => random.Next(0xE000, 0x10000), // sorts after surrogate pairs in UTF-16
                    5 => random.Next(0x10000, 0x110000), // astral: a surrogate pair
                    6 => "\u2028\u2029\u20ac\ufb33\ufeff\uffff\u0080\u00f6"[random.Next(8)],
                    _ => random.Next(0x20, 0x7F),
                };
                text.Append(char.ConvertFromUtf32(scalar));
            }
            return text.ToString();
        }

        /// <summary>Writes a JSON string, escaping what must be escaped and, at random, much of what need not be.</summary>
        private static void Quoted(Random random, StringBuilder text, string value)
        {
            Span<char> units = stackalloc char[2];
            text.Append('"');
            foreach (var rune in value.EnumerateRunes())
            {
                var c = rune.Value;
                var style = random.Next(4);
                if (style == 0 && c is '"' or '\\' or '/' or '\b' or '\f' or '\n' or '\r' or '\t')
                {
                    text.Append('\\').Append(c switch { '\b' => 'b', '\f' => 'f', '\n' => 'n', '\r' => 'r', '\t' => 't', _ => (char)c });
                }
                else if (style == 1 || c < 0x20 || c == '"' || c == '\\')
                {
                    foreach (var unit in units[..rune.EncodeToUtf16(units)])
                        text.Append("\\u").Append(((int)unit).ToString(random.Next(2) == 0 ? "x4" : "X4", CultureInfo.InvariantCulture));
                }
                else
                {
                    text.Append(rune.ToString());
                }
            }
            text.Append('"');
        }
    }
}
