using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Gateway.Framing;
using Gateway.Traffic;

namespace Gateway.Sessions;

/// <summary>The relay's read side, one per direction: raw (a message per read) or framed (a message per frame).</summary>
internal sealed partial class RelaySession
{
    /// <summary>
    /// Copies one direction until EOF (returns null, after passing the FIN on) or failure (returns the
    /// reason). While interception holds a message, it and everything read after it go through the
    /// direction's hold lane, in order; past the lane's bounds the direction stops reading.
    /// </summary>
    private async Task<string?> PumpAsync(Stream from, Socket fromSocket, Stream to, Direction direction, SemaphoreSlim gate, Func<Task> halfClose, string fromName, string toName)
    {
        var pump = new Pump(direction, direction == Direction.In ? _inLane : _outLane, to, gate, fromName, toName);
        Func<Task> peerGone = () => PeerGoneAsync(fromSocket); // made once: the loops run per read
        try
        {
            var failure = _parser is null
                ? await PumpRawAsync(from, pump, peerGone).ConfigureAwait(false)
                : await PumpFramedAsync(from, pump, peerGone, _parser).ConfigureAwait(false);
            return failure ?? await FinishAsync(pump, halfClose).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return null; // the session is closing
        }
        catch (Exception ex)
        {
            // A bug must close this session with the reason, never leave it open with its sockets.
            SessionLog.PumpFailed(Logger, Id, direction, ex);
            return $"internal error relaying {fromName}→{toName}: {ex.Message}";
        }
    }

    /// <summary>
    /// One message per read. Idle, it holds no buffer: zero-byte reads wait for data. With nothing to act
    /// on (no rules, no fault for this direction, nothing held) it writes straight from the read buffer.
    /// Returns null at EOF, or the failure.
    /// </summary>
    private async Task<string?> PumpRawAsync(Stream from, Pump pump, Func<Task> peerGone)
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                await pump.Lane.WaitForRoomAsync(peerGone, Lifetime).ConfigureAwait(false);
                await WaitForCaptureAsync().ConfigureAwait(false);
                int read;
                try
                {
                    if (buffer is null)
                    {
                        await from.ReadAsync(Memory<byte>.Empty, Lifetime).ConfigureAwait(false);
                        buffer = ArrayPool<byte>.Shared.Rent(_bufferSize);
                    }

                    read = await from.ReadAsync(buffer.AsMemory(0, _bufferSize), Lifetime).ConfigureAwait(false);
                }
                catch (Exception ex) when (DescribeFailure(ex) is { } why)
                {
                    return $"{pump.FromName}: {why}";
                }

                if (read == 0)
                {
                    return null;
                }

                string? stop;
                if (!pump.Lane.InUse && !Owner.Policy.Acts(pump.Direction))
                {
                    stop = await ForwardDirectAsync(pump, buffer.AsMemory(0, read)).ConfigureAwait(false);
                }
                else
                {
                    var payload = buffer.AsSpan(0, read).ToArray();
                    stop = await OnMessageAsync(pump, payload, 0).ConfigureAwait(false);
                }

                if (read < _bufferSize)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }

                if (stop is not null)
                {
                    return stop;
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// The standard pipe loop, one message per frame: each frame's bytes go on exactly as they came (a
    /// length prefix included), the message is what the framing says (for len16 and len32, without the
    /// prefix). An incomplete frame left at EOF goes on as a last message. Returns null at EOF, or why it stopped.
    /// </summary>
    private async Task<string?> PumpFramedAsync(Stream from, Pump pump, Func<Task> peerGone, IFrameParser parser)
    {
        var reader = PipeReader.Create(from, new StreamPipeReaderOptions(
            bufferSize: _bufferSize, minimumReadSize: Math.Min(4096, _bufferSize), leaveOpen: true, useZeroByteReads: true));
        try
        {
            while (true)
            {
                await pump.Lane.WaitForRoomAsync(peerGone, Lifetime).ConfigureAwait(false);
                await WaitForCaptureAsync().ConfigureAwait(false);
                ReadResult result;
                try
                {
                    result = await reader.ReadAsync(Lifetime).ConfigureAwait(false);
                }
                catch (Exception ex) when (DescribeFailure(ex) is { } why)
                {
                    return $"{pump.FromName}: {why}";
                }

                var buffer = result.Buffer;
                try
                {
                    while (true)
                    {
                        var before = buffer;
                        bool complete;
                        ReadOnlySequence<byte> frame;
                        try
                        {
                            complete = parser.TryRead(ref buffer, out frame);
                        }
                        catch (FrameTooLargeException ex)
                        {
                            return $"{pump.FromName}: framing error: {ex.Message}";
                        }

                        if (!complete)
                        {
                            break;
                        }

                        var wire = before.Slice(0, buffer.Start).ToArray();
                        if (await OnMessageAsync(pump, wire, wire.Length - (int)frame.Length).ConfigureAwait(false) is { } stop)
                        {
                            return stop;
                        }
                    }

                    if (result.IsCompleted || result.IsCanceled)
                    {
                        if (!buffer.IsEmpty)
                        {
                            var tail = buffer.ToArray();
                            buffer = buffer.Slice(buffer.End);
                            return await OnMessageAsync(pump, tail, 0).ConfigureAwait(false);
                        }

                        return null;
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>EOF: what is held goes (or is dropped) first, then the FIN is passed on. Returns the failure, or null.</summary>
    private async Task<string?> FinishAsync(Pump pump, Func<Task> halfClose)
    {
        await pump.Lane.CompleteAsync().ConfigureAwait(false);
        await pump.Gate.WaitAsync(Lifetime).ConfigureAwait(false);
        try
        {
            await halfClose().ConfigureAwait(false);
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
    /// Completes when the peer has closed (FIN) or reset its side, without reading any data: a zero-byte
    /// receive waits for something to read, and nothing readable but nothing available is the end. It goes
    /// to the socket, not the stream: a TLS stream allows one read at a time, and the pump's next read may
    /// start while this one still waits.
    /// </summary>
    private async Task PeerGoneAsync(Socket socket)
    {
        try
        {
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, Lifetime).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            return; // reset: the next read reports it
        }

        if (socket.Available > 0)
        {
            await Task.Delay(Timeout.Infinite, Lifetime).ConfigureAwait(false); // data, not an end: wait for room only
        }
    }

    /// <summary>One direction of the relay: where its messages go and how they are named in close reasons.</summary>
    private sealed record Pump(Direction Direction, HoldLane Lane, Stream To, SemaphoreSlim Gate, string FromName, string ToName);
}
