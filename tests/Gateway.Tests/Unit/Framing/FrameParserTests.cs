using System.Buffers;
using System.Text;
using Gateway.Framing;
using static Gateway.Tests.Unit.Framing.FrameFeeding;

namespace Gateway.Tests.Unit.Framing;

public sealed class FrameParserTests
{
    private static readonly byte[] LineStream = Encoding.ASCII.GetBytes("one\ntwo\r\n\nthree");
    private static readonly string[] LineFrames = ["one\n", "two\r\n", "\n"];

    [Fact]
    public void Line_EveryTwoWaySplit_SameFramesAndTail()
    {
        for (var split = 0; split <= LineStream.Length; split++)
        {
            var (frames, tail) = Feed(new LineFrameParser(64), LineStream[..split], LineStream[split..]);
            Assert.Equal(LineFrames, frames.Select(Encoding.ASCII.GetString));
            Assert.Equal("three", Encoding.ASCII.GetString(tail));
        }
    }

    [Fact]
    public void Line_MultiSegmentSequence_EverySplit()
    {
        for (var split = 0; split <= LineStream.Length; split++)
        {
            var buffer = Segments(LineStream[..split], LineStream[split..]);
            var parser = new LineFrameParser(64);
            var frames = new List<string>();
            while (parser.TryRead(ref buffer, out var frame))
            {
                frames.Add(Encoding.ASCII.GetString(frame.ToArray()));
            }

            Assert.Equal(LineFrames, frames);
            Assert.Equal("three", Encoding.ASCII.GetString(buffer.ToArray()));
        }
    }

    [Fact]
    public void Line_LongerThanMax_IsCutAtTheMax()
    {
        var (frames, tail) = Feed(new LineFrameParser(4), Encoding.ASCII.GetBytes("abcdefghij\nxy"));

        Assert.Equal(["abcd", "efgh", "ij\n"], frames.Select(Encoding.ASCII.GetString));
        Assert.Equal("xy", Encoding.ASCII.GetString(tail));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void LengthPrefix_EveryTwoWaySplit_SameFrames(int prefix)
    {
        var parser = new LengthPrefixFrameParser(prefix, 1024);
        byte[][] payloads = [[1, 2, 3], [], Enumerable.Range(0, 300).Select(i => (byte)i).ToArray(), [0x0a]];
        var stream = payloads.SelectMany(parser.Encode).ToArray();

        for (var split = 0; split <= stream.Length; split++)
        {
            var (frames, tail) = Feed(new LengthPrefixFrameParser(prefix, 1024), stream[..split], stream[split..]);
            Assert.Equal(payloads, frames);
            Assert.Empty(tail);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void LengthPrefix_EveryThreeWaySplit_AsASequence(int prefix)
    {
        var parser = new LengthPrefixFrameParser(prefix, 1024);
        var stream = parser.Encode([9, 8, 7, 6]).Concat(parser.Encode([5])).ToArray();
        for (var a = 0; a <= stream.Length; a++)
        {
            for (var b = a; b <= stream.Length; b++)
            {
                var buffer = Segments(stream[..a], stream[a..b], stream[b..]);
                Assert.True(parser.TryRead(ref buffer, out var first));
                Assert.True(parser.TryRead(ref buffer, out var second));
                Assert.False(parser.TryRead(ref buffer, out _));
                Assert.Equal(new byte[] { 9, 8, 7, 6 }, first.ToArray());
                Assert.Equal(new byte[] { 5 }, second.ToArray());
            }
        }
    }

    [Fact]
    public void LengthPrefix_IncompleteFrame_WaitsForMore()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 5, 1, 2 });
        Assert.False(new LengthPrefixFrameParser(4, 100).TryRead(ref buffer, out _));
        Assert.Equal(6, buffer.Length);
    }

    [Fact]
    public void LengthPrefix_DeclaredLengthOverMax_Throws()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0x00, 0x10, 0x00, 0x00 });
        var error = Assert.Throws<FrameTooLargeException>(() =>
        {
            new LengthPrefixFrameParser(4, 65536).TryRead(ref buffer, out _);
        });
        Assert.Contains("1048576", error.Message);
        Assert.Contains("MaxFrameBytes", error.Message);
    }

    [Fact]
    public void Encode_AddsBigEndianPrefix_RejectsWhatCannotFit()
    {
        Assert.Equal(new byte[] { 0x01, 0x02, 0xaa }, new LengthPrefixFrameParser(2, 100_000).Encode(new byte[258].Select(_ => (byte)0xaa).ToArray())[..3]);
        Assert.Equal(new byte[] { 0, 0, 0, 1, 7 }, new LengthPrefixFrameParser(4, 100).Encode([7]));
        Assert.Throws<FrameTooLargeException>(() => new LengthPrefixFrameParser(2, 1_000_000).Encode(new byte[70_000]));
        Assert.Equal(new byte[] { 1, 2 }, new LineFrameParser(10).Encode([1, 2]));
    }

    /// <summary>Feeds chunks as reads would arrive, parsing after each; returns the frames and what is left.</summary>
}
