using System.Buffers;
using Gateway.Framing;

namespace Gateway.Tests.Unit.Framing;

/// <summary>Feeds a parser as the pipe would (what is left of a read waits for the next), or as one multi-segment sequence.</summary>
internal static class FrameFeeding
{
    public static (List<byte[]> Frames, byte[] Tail) Feed(IFrameParser parser, params byte[][] chunks)
    {
        var frames = new List<byte[]>();
        var pending = Array.Empty<byte>();
        foreach (var chunk in chunks)
        {
            var buffer = new ReadOnlySequence<byte>([.. pending, .. chunk]);
            while (parser.TryRead(ref buffer, out var frame))
            {
                frames.Add(frame.ToArray());
            }

            pending = buffer.ToArray();
        }

        return (frames, pending);
    }

    public static ReadOnlySequence<byte> Segments(params byte[][] parts)
    {
        var first = new Segment(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1))
        {
            last = last.Append(part);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
