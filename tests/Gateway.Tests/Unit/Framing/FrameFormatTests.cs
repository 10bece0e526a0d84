using System.Buffers;
using System.Text;
using Gateway.Framing;
using static Gateway.Tests.Unit.Framing.FrameFeeding;

namespace Gateway.Tests.Unit.Framing;

/// <summary>Every framing (line, len16, len32, delimiter, length field) at every two-way and three-way split, fed as the pipe would and as multi-segment sequences.</summary>
public sealed class FrameFormatTests
{
    public static TheoryData<string, byte[], byte[][]> Streams()
    {
        byte[] modbus1 = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10];
        byte[] modbus2 = [0, 2, 0, 0, 0, 3, 1, 0x83, 2];
        byte[] mqttSmall = [0x30, 0x03, 0, 1, 0x41];
        var mqttBig = new byte[] { 0x30, 0xc8, 0x01 }.Concat(Enumerable.Repeat((byte)7, 200)).ToArray(); // varint 200 = c8 01
        byte[] little = [0xaa, 3, 0, 1, 2, 3];
        byte[] p1 = [1, 2, 3], p2 = [], p3 = [0x0a, 0x00];
        byte[] Prefixed(int width, byte[] payload) => [.. (width == 2 ? new byte[] { 0, (byte)payload.Length } : [0, 0, 0, (byte)payload.Length]), .. payload];
        return new TheoryData<string, byte[], byte[][]>
        {
            { "\"line\"", Encoding.ASCII.GetBytes("one\ntwo\r\n\n"), [Encoding.ASCII.GetBytes("one\n"), Encoding.ASCII.GetBytes("two\r\n"), Encoding.ASCII.GetBytes("\n")] },
            { "\"len16\"", [.. Prefixed(2, p1), .. Prefixed(2, p2), .. Prefixed(2, p3)], [p1, p2, p3] },
            { "\"len32\"", [.. Prefixed(4, p1), .. Prefixed(4, p2), .. Prefixed(4, p3)], [p1, p2, p3] },
            { "{\"type\":\"delimiter\",\"hex\":\"0d0a\"}", Encoding.ASCII.GetBytes("a\r\nbc\r\n\r\nd\re\r\n"), [Encoding.ASCII.GetBytes("a\r\n"), Encoding.ASCII.GetBytes("bc\r\n"), Encoding.ASCII.GetBytes("\r\n"), Encoding.ASCII.GetBytes("d\re\r\n")] },
            { "{\"type\":\"length\",\"offset\":4,\"width\":2}", [.. modbus1, .. modbus2], [modbus1, modbus2] },
            { "{\"type\":\"length\",\"offset\":1,\"width\":\"varint\"}", [.. mqttSmall, .. mqttBig], [mqttSmall, mqttBig] },
            { "{\"type\":\"length\",\"offset\":1,\"width\":2,\"endian\":\"little\",\"adjust\":0}", little, [little] },
            { "{\"type\":\"length\",\"width\":1,\"adjust\":-1}", [3, 9, 9, 2, 8], [[3, 9, 9], [2, 8]] },
        };
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void EveryTwoAndThreeWaySplit_SameFrames_AsSingleBuffersAndAsSegments(string json, byte[] stream, byte[][] expected)
    {
        var parser = Parse(json);
        for (var i = 0; i <= stream.Length; i++)
        {
            for (var j = i; j <= stream.Length; j++)
            {
                var (frames, tail) = Feed(parser, stream[..i], stream[i..j], stream[j..]);
                Assert.Equal(expected, frames);
                Assert.Empty(tail);

                var segments = Segments(stream[..i], stream[i..j], stream[j..]);
                var cut = new List<byte[]>();
                while (parser.TryRead(ref segments, out var frame))
                {
                    cut.Add(frame.ToArray());
                }

                Assert.Equal(expected, cut);
            }
        }
    }

    [Theory]
    [InlineData("{\"type\":\"length\",\"offset\":4,\"width\":2}", new byte[] { 0, 1, 0, 0, 0xff, 0xff }, "MaxFrameBytes")]
    [InlineData("{\"type\":\"length\",\"offset\":1,\"width\":\"varint\"}", new byte[] { 0x30, 0xff, 0xff, 0xff, 0xff, 0x01 }, "varint")]
    [InlineData("{\"type\":\"length\",\"width\":1,\"adjust\":-5}", new byte[] { 1, 0 }, "shorter than its own header")]
    public void BadLengths_AreFramingErrors(string json, byte[] stream, string expected)
    {
        var buffer = new ReadOnlySequence<byte>(stream);
        var error = Assert.Throws<FrameTooLargeException>(() => Parse(json, maxFrameBytes: 1000).TryRead(ref buffer, out _));
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("{\"type\":\"delimiter\"}", "hex")]
    [InlineData("{\"type\":\"delimiter\",\"hex\":\"zz\"}", "not hex")]
    [InlineData("{\"type\":\"length\",\"width\":3}", "width")]
    [InlineData("{\"type\":\"length\",\"width\":2,\"endian\":\"middle\"}", "endian")]
    [InlineData("{\"type\":\"length\",\"width\":2,\"offset\":-1}", "offset")]
    [InlineData("{\"type\":\"line\",\"hex\":\"0a\"}", "no other fields")]
    [InlineData("{\"type\":\"chunks\"}", "not a framing")]
    public void InvalidSpecs_SayWhatIsWrong(string json, string expected)
    {
        var spec = System.Text.Json.JsonSerializer.Deserialize<FramingSpec>(json)!;
        Assert.False(FrameFormat.TryParse(spec, out _, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void NamedFramings_KeepTheirMeaning_AndRoundTripAsSpecs()
    {
        foreach (var name in new[] { "raw", "line", "len16", "len32" })
        {
            Assert.True(FrameFormat.TryParse(System.Text.Json.JsonSerializer.Deserialize<FramingSpec>($"\"{name}\"")!, out var format, out _));
            Assert.Equal(name, format.Mode.ToString().ToLowerInvariant());
        }

        Assert.True(FrameFormat.TryParse(System.Text.Json.JsonSerializer.Deserialize<FramingSpec>("{\"type\":\"length\",\"offset\":1,\"width\":\"varint\"}")!, out var mqtt, out _));
        Assert.Equal("{\"type\":\"length\",\"offset\":1,\"width\":\"varint\",\"endian\":\"big\",\"adjust\":0}", System.Text.Json.JsonSerializer.Serialize(mqtt.ToSpec()));
    }

    private static IFrameParser Parse(string json, int maxFrameBytes = 4096)
    {
        Assert.True(FrameFormat.TryParse(System.Text.Json.JsonSerializer.Deserialize<FramingSpec>(json), out var format, out var error), error);
        return format.CreateParser(maxFrameBytes)!;
    }
}
