using System.Buffers;
using Gateway.Traffic;

namespace Gateway.Sessions;

/// <summary>How a session turns what crosses its sockets into <see cref="TrafficMessage"/>s for the observers.</summary>
internal abstract partial class Session
{
    /// <summary>
    /// One message received from the peer of a session that forwards nothing (accepted, outbound, UDP):
    /// recorded (copied: the caller's buffer is reused; see <see cref="Kept(ReadOnlySpan{byte})"/>), then
    /// the listener's rules act on it (reply, close, tag).
    /// </summary>
    protected void RecordReceived(ReadOnlySpan<byte> data)
    {
        var outcome = EvaluateRules(Direction.In, data);
        RecordCopy(Direction.In, data, outcome: outcome);
        if (outcome is not null)
        {
            Act(outcome, SendTarget.Client);
        }
    }

    /// <summary>One frame cut from the peer's stream (copied out of the pipe's buffers).</summary>
    protected void RecordReceived(in ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment)
        {
            RecordReceived(data.FirstSpan);
            return;
        }

        if (!Owner.Policy.Rules.IsEmpty)
        {
            RecordReceived(data.ToArray());
            return;
        }

        var kept = data.Slice(0, Math.Min(data.Length, KeptBytes(data.Length))).ToArray();
        Record(Direction.In, kept, size: (int)data.Length);
    }

    /// <summary>Records bytes the caller keeps ownership of: the copy holds only what observers need.</summary>
    protected void RecordCopy(Direction direction, ReadOnlySpan<byte> data, IReadOnlyList<string>? faults = null, Pipeline.RuleOutcome? outcome = null) =>
        Record(direction, Kept(data), faults, data.Length, outcome);

    /// <summary>The listener's rules over one message; null when none fired (or there are none).</summary>
    protected Pipeline.RuleOutcome? EvaluateRules(Direction direction, ReadOnlySpan<byte> payload) =>
        Owner.Policy.Rules is { IsEmpty: false } rules ? rules.Evaluate(direction, payload, Owner.OnRuleDisabled) : null;

    /// <summary>
    /// The rules over one message of a session that forwards (a relay). When they stop it (drop, close, a
    /// reply standing in for the other side) it is recorded here with the rules that fired, and false is
    /// returned; otherwise the caller forwards it (rewritten, held or faulted as <paramref name="outcome"/> says).
    /// Replies go back to the message's sender either way.
    /// </summary>
    protected bool PassRules(Direction direction, byte[] message, out Pipeline.RuleOutcome? outcome)
    {
        outcome = EvaluateRules(direction, message);
        if (outcome is null)
        {
            return true;
        }

        var stopped = !outcome.Hold && (outcome.Drop || outcome.Close is not null);
        if (stopped)
        {
            Record(direction, message, outcome: outcome);
        }

        Act(outcome, direction == Direction.In ? SendTarget.Client : SendTarget.Upstream);
        return !stopped;
    }

    /// <summary>
    /// What rules decided beyond the message itself: replies to its sender (<paramref name="sender"/>, after
    /// their delays, through the session's ordered outbox) and closing the session (after those replies).
    /// </summary>
    protected void Act(Pipeline.RuleOutcome outcome, SendTarget sender)
    {
        foreach (var reply in outcome.Replies ?? [])
        {
            if (reply.Delay <= TimeSpan.Zero)
            {
                TryEnqueue(reply.Payload, sender);
            }
            else
            {
                _ = ReplyLaterAsync(reply, sender);
            }
        }

        if (outcome.Close is { } abort)
        {
            _ = CloseAsync($"rule {outcome.Fired[^1]}: {(abort ? "reset" : "close")}", abort);
        }
    }

    private async Task ReplyLaterAsync(Pipeline.RuleReply reply, SendTarget sender)
    {
        try
        {
            await Task.Delay(reply.Delay, Lifetime).ConfigureAwait(false);
            TryEnqueue(reply.Payload, sender);
        }
        catch (OperationCanceledException)
        {
            // Closed before the reply was due.
        }
    }

    /// <summary>
    /// What of a payload the observers need: all of it when the capture store keeps payloads, otherwise the
    /// first <c>MaxPreviewBytes</c> (all the hub shows). Copying only that keeps the data plane's work per
    /// byte close to a plain relay's.
    /// </summary>
    /// <summary>
    /// Kept copies this large go to the pinned heap, which the GC never compacts: a copy waiting in the capture
    /// queue would otherwise be copied again by every collection that promotes it (at line rate, most of them).
    /// </summary>
    private const int PinnedFrom = 16 * 1024;

    protected byte[] Kept(ReadOnlySpan<byte> data)
    {
        // Not zeroed first: every byte is overwritten at once (at line rate, zeroing is a copy's worth of work).
        var length = KeptBytes(data.Length);
        var kept = GC.AllocateUninitializedArray<byte>(length, pinned: length >= PinnedFrom);
        data[..kept.Length].CopyTo(kept);
        return kept;
    }

    private int KeptBytes(long size) => (int)(Capture.Mode == Gateway.Capture.CaptureMode.Full ? size : Math.Min(size, Plane.Options.Watch.MaxPreviewBytes));

    /// <summary>
    /// Records a message the session owns (not copied), with the relay faults applied to it.
    /// <paramref name="size"/> is the real size when <paramref name="payload"/> holds only its first bytes.
    /// </summary>
    protected void Record(Direction direction, byte[] payload, IReadOnlyList<string>? faults = null, int? size = null, Pipeline.RuleOutcome? outcome = null)
    {
        var length = size ?? payload.Length;
        // One lock orders seq, counters, the log and publication, so every observer sees a session's
        // messages in seq order. Publishing is a non-blocking channel write per observer.
        lock (_gate)
        {
            var now = Plane.Now;
            var message = new TrafficMessage(Plane.NextSeq(), Id, ListenerId, direction, now, payload, faults)
            {
                Capture = Capture, Size = length, Rules = outcome?.Fired, Tags = outcome?.Tags, Node = Plane.Node.Id,
            };
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
