using System.Threading.Channels;
using Gateway.Faults;
using Gateway.Pipeline;
using Gateway.Traffic;

namespace Gateway.Sessions;

/// <summary>
/// The relay's per-message path, the same for every framing: rules (reply, replace, drop, hold, fault,
/// close, tag), then the hold lane or the faults, then the write. What is written is the message's own
/// bytes on the wire unless a rule or an edit changed the message (then it is framed again).
/// </summary>
internal sealed partial class RelaySession
{
    /// <summary>
    /// One message read from one side: <paramref name="wire"/> as it came, the message from
    /// <paramref name="messageOffset"/> on. Returns null to go on, "" when the session is being closed by a
    /// rule or a fault, or the failure.
    /// </summary>
    private async ValueTask<string?> OnMessageAsync(Pump pump, byte[] wire, int messageOffset)
    {
        var message = messageOffset == 0 ? wire : wire[messageOffset..];
        if (!PassRules(pump.Direction, message, out var outcome))
        {
            return outcome!.Close is null ? null : ""; // not forwarded (recorded with the rules that stopped it)
        }

        if (outcome?.Replaced is { } replaced)
        {
            message = replaced;
            wire = Reframe(replaced);
        }

        var held = outcome?.Hold == true ? Plane.Held.Hold(this, pump.Direction, message) : null;
        if (held is not null || pump.Lane.InUse)
        {
            pump.Lane.Enqueue(new HoldLane.Entry(message, wire, held, outcome), reader => DrainAsync(reader, pump));
            return null;
        }

        return await ForwardAsync(pump, message, wire, outcome).ConfigureAwait(false);
    }

    /// <summary>The bytes on the wire for a message that was changed (a length prefix made anew); unframed, the message itself.</summary>
    private byte[] Reframe(byte[] message) => _parser is null ? message : _parser.Encode(message);

    /// <summary>Records and writes one read in place; returns the failure, or null to go on.</summary>
    private async Task<string?> ForwardDirectAsync(Pump pump, ReadOnlyMemory<byte> data)
    {
        await pump.Gate.WaitAsync(Lifetime).ConfigureAwait(false);
        try
        {
            RecordCopy(pump.Direction, data.Span);
            await pump.To.WriteAsync(data, Lifetime).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (DescribeFailure(ex) is { } why)
        {
            return $"{pump.ToName}: {why}";
        }
        finally
        {
            pump.Gate.Release();
        }
    }

    /// <summary>
    /// Applies the listener's faults and the rules' faults, and writes one message. Returns null to go on,
    /// "" when the session was closed by a limitData fault, or the failure.
    /// </summary>
    private async Task<string?> ForwardAsync(Pump pump, byte[] message, byte[] wire, RuleOutcome? outcome)
    {
        var faults = FaultPlan.For(Owner.Policy.Faults, outcome?.Faults, pump.Direction);
        var (forward, limitReached) = await ApplyFaultsBeforeAsync(faults, pump.Direction, message, wire, outcome).ConfigureAwait(false);
        if (forward is null)
        {
            return null; // held back by a timeout fault
        }

        try
        {
            await WriteAsync(pump.To, pump.Gate, pump.Direction, message, forward, Lifetime, faults, outcome).ConfigureAwait(false);
        }
        catch (Exception ex) when (DescribeFailure(ex) is { } why)
        {
            return $"{pump.ToName}: {why}";
        }

        await ApplyFaultsAfterAsync(faults, pump.Direction, forward.Length).ConfigureAwait(false);
        if (limitReached)
        {
            await CloseAsync("fault: limitData").ConfigureAwait(false);
            return "";
        }

        return null;
    }

    /// <summary>Forwards a lane's messages in order, each held one once it is decided (an edit is framed again).</summary>
    private async Task DrainAsync(ChannelReader<HoldLane.Entry> reader, Pump pump)
    {
        try
        {
            await foreach (var entry in reader.ReadAllAsync(Lifetime).ConfigureAwait(false))
            {
                var message = entry.Held is null ? entry.Payload : await entry.Held.Decision.WaitAsync(Lifetime).ConfigureAwait(false);
                if (message is not null)
                {
                    var wire = ReferenceEquals(message, entry.Payload) ? entry.Wire : Reframe(message);
                    if (await ForwardAsync(pump, message, wire, entry.Outcome).ConfigureAwait(false) is { } stop)
                    {
                        if (stop.Length > 0)
                        {
                            _ = CloseAsync(stop, abort: true);
                        }

                        return;
                    }
                }

                pump.Lane.Done(entry);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The session is closing; what is still held is released by CloseTransport.
        }
        catch (Exception ex)
        {
            SessionLog.PumpFailed(Logger, Id, pump.Direction, ex);
            _ = CloseAsync($"internal error relaying held messages: {ex.Message}", abort: true);
        }
    }

    /// <summary>Records the message and writes its bytes (sliced, when a slicer fault says so), whole between injections.</summary>
    private async Task WriteAsync(Stream to, SemaphoreSlim gate, Direction direction, byte[] message, byte[] wire, CancellationToken cancellationToken,
        FaultPlan? faults = null, RuleOutcome? outcome = null)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Record(direction, message, faults?.Names, outcome: outcome);
            if (faults?.Slicer is not { } slicer)
            {
                await to.WriteAsync(wire, cancellationToken).ConfigureAwait(false);
                return;
            }

            foreach (var slice in faults.Slices(wire))
            {
                await to.WriteAsync(slice, cancellationToken).ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromMicroseconds(slicer.DelayUs ?? 0), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
        }
    }
}
