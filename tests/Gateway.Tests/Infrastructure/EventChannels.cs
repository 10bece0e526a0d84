using System.Text.Json;
using System.Threading.Channels;

namespace Gateway.Tests.Infrastructure;

/// <summary>Hub events collected into a channel, read until the wanted one comes (within the default timeout).</summary>
internal static class EventChannels
{
    public static async Task<JsonElement> NextAsync(this Channel<JsonElement> channel, Func<JsonElement, bool> wanted, string what)
    {
        using var timeout = new CancellationTokenSource(Timeouts.Default);
        try
        {
            while (true)
            {
                var item = await channel.Reader.ReadAsync(timeout.Token);
                if (wanted(item))
                {
                    return item;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No {what}.");
        }
    }
}
