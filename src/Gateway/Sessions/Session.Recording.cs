using System.Buffers;
using Gateway.Traffic;

namespace Gateway.Sessions;

/// <summary>How a session turns what crosses its sockets into <see cref="TrafficMessage"/>s for the observers.</summary>
internal abstract partial class Session
{
    /// <summary>Records one chunk read from the peer (copied: the caller's buffer is reused; see <see cref="Kept(ReadOnlySpan{byte})"/>).</summary>
    protected void RecordReceived(ReadOnlySpan<byte> data) => RecordCopy(Direction.In, data);

    /// <summary>Records one frame cut from the peer's stream (copied out of the pipe's buffers).</summary>
    protected void RecordReceived(in ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment)
        {
            RecordCopy(Direction.In, data.FirstSpan);
            return;
        }

        var kept = data.Slice(0, Math.Min(data.Length, KeptBytes(data.Length))).ToArray();
        Record(Direction.In, kept, size: (int)data.Length);
    }

    /// <summary>Records bytes the caller keeps ownership of: the copy holds only what observers need.</summary>
    protected void RecordCopy(Direction direction, ReadOnlySpan<byte> data, IReadOnlyList<string>? faults = null) =>
        Record(direction, Kept(data), faults, data.Length);

    /// <summary>
    /// What of a payload the observers need: all of it when the capture store keeps payloads, otherwise the
    /// first <c>MaxPreviewBytes</c> (all the hub shows). Copying only that keeps the data plane's work per
    /// byte close to a plain relay's.
    /// </summary>
    protected byte[] Kept(ReadOnlySpan<byte> data) => data[..KeptBytes(data.Length)].ToArray();

    private int KeptBytes(long size) => (int)(Capture.Mode == Gateway.Capture.CaptureMode.Full ? size : Math.Min(size, Plane.Options.Watch.MaxPreviewBytes));

    /// <summary>
    /// Records a message the session owns (not copied), with the relay faults applied to it.
    /// <paramref name="size"/> is the real size when <paramref name="payload"/> holds only its first bytes.
    /// </summary>
    protected void Record(Direction direction, byte[] payload, IReadOnlyList<string>? faults = null, int? size = null)
    {
        var length = size ?? payload.Length;
        // One lock orders seq, counters, the log and publication, so every observer sees a session's
        // messages in seq order. Publishing is a non-blocking channel write per observer.
        lock (_gate)
        {
            var now = Plane.Now;
            var message = new TrafficMessage(Plane.NextSeq(), Id, ListenerId, direction, now, payload, faults) { Capture = Capture, Size = length };
            if (direction == Direction.In)
            {
                _bytesIn += length;
                _messagesIn++;
            }
            else
            {
                _bytesOut += length;
                _messagesOut++;
            }

            Interlocked.Exchange(ref _lastActivityTicks, now.UtcTicks);
            Owner.OnTraffic(direction, length);
            Plane.Totals.Add(direction, length);
            Plane.Bus.Publish(message);
        }
    }
}
