using Gateway.Faults;
using Gateway.Traffic;

namespace Gateway.Sessions;

/// <summary>The relay's side of faults: what happens to a message before and after it is written.</summary>
internal sealed partial class RelaySession
{
    private long _forwardedIn;
    private long _forwardedOut;
    private int _resetScheduled;
    private int _timeoutScheduled;

    /// <summary>
    /// Latency, timeout, resetPeer and limitData, before a message is written. Returns which of its bytes
    /// on the wire to write (null when a timeout fault swallows it, recorded all the same so the watcher
    /// sees what happened), and whether the limitData fault's limit is reached with it.
    /// </summary>
    private async Task<(byte[]? Forward, bool LimitReached)> ApplyFaultsBeforeAsync(FaultPlan faults, Direction direction, byte[] message, byte[] payload,
        Pipeline.RuleOutcome? outcome)
    {
        if (faults == FaultPlan.None)
        {
            return (payload, false);
        }

        await faults.WaitLatencyAsync(Lifetime).ConfigureAwait(false);

        if (faults.Reset is { } reset && Interlocked.Exchange(ref _resetScheduled, 1) == 0)
        {
            _ = CloseLaterAsync(TimeSpan.FromMilliseconds(reset.AfterMs ?? 0), "fault: resetPeer", abort: true);
        }

        if (faults.Timeout is { } timeout)
        {
            Record(direction, message, faults.Names, outcome: outcome);
            if (timeout.Ms > 0 && Interlocked.Exchange(ref _timeoutScheduled, 1) == 0)
            {
                _ = CloseLaterAsync(TimeSpan.FromMilliseconds(timeout.Ms.Value), "fault: timeout", abort: false);
            }

            return (null, false);
        }

        if (faults.Limit is { Bytes: { } limit })
        {
            var sent = direction == Direction.In ? _forwardedIn : _forwardedOut;
            var room = (int)Math.Clamp(limit - sent, 0, payload.Length);
            if (sent + payload.Length >= limit)
            {
                return (payload[..room], true);
            }
        }

        return (payload, false);
    }

    private async Task ApplyFaultsAfterAsync(FaultPlan faults, Direction direction, int bytes)
    {
        if (direction == Direction.In)
        {
            _forwardedIn += bytes;
        }
        else
        {
            _forwardedOut += bytes;
        }

        await faults.PaceAsync(bytes, Lifetime).ConfigureAwait(false);
    }

    private async Task CloseLaterAsync(TimeSpan delay, string reason, bool abort)
    {
        try
        {
            await Task.Delay(delay, Lifetime).ConfigureAwait(false);
            await CloseAsync(reason, abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Closed some other way first.
        }
    }
}
