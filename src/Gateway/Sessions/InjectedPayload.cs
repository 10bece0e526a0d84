using Gateway.Traffic;

namespace Gateway.Sessions;

internal static class InjectedPayload
{
    /// <summary>Decodes user-typed data (400 when it cannot be) within <c>Gateway:Limits:MaxSendBytes</c> (413 above).</summary>
    public static byte[] Decode(string? data, string? encoding, int maxBytes)
    {
        if (!PayloadEncoding.TryDecode(data, encoding, out var payload, out var error))
        {
            throw CommandException.BadInput(error);
        }

        return payload.Length <= maxBytes
            ? payload
            : throw CommandException.TooLarge($"The payload is {payload.Length} bytes; at most {maxBytes} may be sent at once (Gateway:Limits:MaxSendBytes).");
    }
}
