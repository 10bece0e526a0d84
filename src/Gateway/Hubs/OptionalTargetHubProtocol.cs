using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Gateway.Hubs;

/// <summary>
/// Lets <c>Send(sessionId, data, encoding)</c> take an optional fourth argument, <c>target</c>. SignalR
/// binds hub arguments by count and allows no overloads, so an invocation of <c>Send</c> with four
/// arguments that fails to bind is parsed again as <c>SendToTarget</c>, which takes them. Everything else
/// passes through the wrapped protocol untouched.
/// </summary>
internal sealed class OptionalTargetHubProtocol(IHubProtocol inner) : IHubProtocol
{
    private const string Send = nameof(TrafficHub.Send);
    private const string SendToTarget = nameof(TrafficHub.SendToTarget);

    public string Name => inner.Name;

    public int Version => inner.Version;

    public TransferFormat TransferFormat => inner.TransferFormat;

    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(message, output);

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(message);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        var original = input;
        if (!inner.TryParseMessage(ref input, binder, out message))
        {
            return false;
        }

        if (message is InvocationBindingFailureMessage { Target: Send })
        {
            var again = original;
            if (inner.TryParseMessage(ref again, new SendAsSendToTarget(binder), out var rebound) && rebound is InvocationMessage invocation
                && rebound is not StreamInvocationMessage)
            {
                message = new InvocationMessage(invocation.InvocationId, SendToTarget, invocation.Arguments, invocation.StreamIds)
                {
                    Headers = invocation.Headers,
                };
            }
        }

        return true;
    }

    private sealed class SendAsSendToTarget(IInvocationBinder inner) : IInvocationBinder
    {
        public IReadOnlyList<Type> GetParameterTypes(string methodName) =>
            inner.GetParameterTypes(methodName == Send ? SendToTarget : methodName);

        public Type GetReturnType(string invocationId) => inner.GetReturnType(invocationId);

        public Type GetStreamItemType(string streamId) => inner.GetStreamItemType(streamId);
    }
}
