using System.Diagnostics;
using Gateway.Connections;
using Gateway.Sessions;
using Gateway.Traffic;

namespace Gateway.Capture;

/// <summary>
/// Replays one direction of a captured session: opens an outbound session to the target and sends the
/// recorded messages in order, with their original gaps (scaled by speed) or as fast as the peer reads.
/// The new session is an ordinary outbound session: watched, captured and closable like any other.
/// </summary>
internal sealed partial class Replayer(SessionHistory history, OutboundConnector connector, Security.AuditLog audit, IHostApplicationLifetime lifetime, ILogger<Replayer> logger)
{
    private const int PageSize = 100;
    private const double MaxSpeed = 1000;

    public async Task<Session> StartAsync(long sessionId, ReplayRequest request, Security.Actor actor, CancellationToken cancellationToken)
    {
        var direction = request.Direction?.Trim().ToLowerInvariant() switch
        {
            null or "" or "in" => Direction.In,
            "out" => Direction.Out,
            _ => throw CommandException.BadInput($"Unknown direction '{request.Direction}': use in (what the peer sent) or out."),
        };
        var original = request.Timing?.Trim().ToLowerInvariant() switch
        {
            null or "" or "original" => true,
            "asap" => false,
            _ => throw CommandException.BadInput($"Unknown timing '{request.Timing}': use original or asap."),
        };
        var speed = request.Speed ?? 1;
        if (!(speed > 0 && speed <= MaxSpeed))
        {
            throw CommandException.BadInput($"'speed' must be greater than 0 and at most {MaxSpeed} (was {speed}).");
        }

        var recorded = await history.GetSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (recorded.Capture != CaptureMode.Full)
        {
            throw CommandException.BadInput($"Session {sessionId} was captured as '{recorded.Capture.ToString().ToLowerInvariant()}': its payloads were not kept, so there is nothing to replay.");
        }

        var first = await history.FindAsync(new MessageQuery { SessionId = sessionId, Direction = direction, Limit = 1 }, cancellationToken).ConfigureAwait(false);
        if (first.Count == 0)
        {
            throw CommandException.BadInput($"Session {sessionId} has no captured '{direction.ToString().ToLowerInvariant()}' messages to replay.");
        }

        var connect = new ConnectRequest(
            request.Protocol ?? recorded.Protocol.ToString().ToLowerInvariant(),
            request.Host, request.Port, request.Path, request.Tls,
            // Delimiter and length-field frames are whole frames already: they go back as they are.
            request.Framing ?? Framing.FramingSpec.Named(recorded.Framing is Framing.FramingMode.Delimiter or Framing.FramingMode.Length ? "raw" : recorded.Framing.ToString().ToLowerInvariant()), null);
        var session = await connector.ConnectAsync(connect, actor, cancellationToken).ConfigureAwait(false);
        audit.Record(actor, "replay", $"session {sessionId}",
            detail: $"{direction.ToString().ToLowerInvariant()} messages into session {session.Id}, {(original ? $"original timing x{speed}" : "asap")}");
        _ = Task.Run(() => RunAsync(sessionId, session, direction, original ? speed : null), CancellationToken.None);
        return session;
    }

    private async Task RunAsync(long recordedId, Session target, Direction direction, double? speed)
    {
        var stopping = lifetime.ApplicationStopping;
        var clock = Stopwatch.StartNew();
        DateTimeOffset? firstAt = null;
        long afterSeq = 0;
        var messages = 0;
        long bytes = 0;
        try
        {
            while (true)
            {
                var page = await history.FindAsync(
                    new MessageQuery { SessionId = recordedId, Direction = direction, AfterSeq = afterSeq, Limit = PageSize }, stopping).ConfigureAwait(false);
                if (page.Count == 0)
                {
                    ReplayDone(logger, recordedId, target.Id, messages, bytes);
                    return;
                }

                foreach (var message in page)
                {
                    afterSeq = message.Seq;
                    if (firstAt is null)
                    {
                        // The schedule starts with the first message, not with the query that found it:
                        // a slow first page must not shorten the gaps after it.
                        firstAt = message.At;
                        clock.Restart();
                    }

                    if (speed is { } factor)
                    {
                        var due = (message.At - firstAt.Value) / factor - clock.Elapsed;
                        if (due > TimeSpan.Zero)
                        {
                            await Task.Delay(due, stopping).ConfigureAwait(false);
                        }
                    }

                    if (!await target.SendAsync(message.Data.ToArray(), stopping).ConfigureAwait(false))
                    {
                        ReplayCut(logger, recordedId, target.Id, messages, bytes);
                        return;
                    }

                    messages++;
                    bytes += message.Size;
                }
            }
        }
        catch (OperationCanceledException)
        {
            ReplayCut(logger, recordedId, target.Id, messages, bytes);
        }
    }


    [LoggerMessage(EventId = 701, Level = LogLevel.Information,
        Message = "Replay of session {SessionId} into session {TargetId} done: {Messages} messages, {Bytes} bytes")]
    private static partial void ReplayDone(ILogger logger, long sessionId, long targetId, int messages, long bytes);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning,
        Message = "Replay of session {SessionId} into session {TargetId} stopped early (the session closed or the gateway is stopping) after {Messages} messages, {Bytes} bytes")]
    private static partial void ReplayCut(ILogger logger, long sessionId, long targetId, int messages, long bytes);
}
