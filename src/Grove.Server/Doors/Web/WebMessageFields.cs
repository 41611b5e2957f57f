using System.Text.Json;

namespace Grove.Server.Doors.Web;

/// <summary>
/// The JSON kinds of the fields of client messages (docs/protocol.md, "Client → server"). A field of another kind is
/// refused before the message is carried out: read as absent it changed the meaning (a "room" of 5 said in the
/// current room), and read as its kind it threw and closed the socket ("before":"5").
/// </summary>
internal static class WebMessageFields
{
    private static readonly HashSet<string> Strings = ["name", "password", "token", "room", "text", "to", "reason", "target"];
    private static readonly HashSet<string> WholeNumbers = ["before", "limit"];

    /// <summary>
    /// Reads every name and string in the message, throwing InvalidOperationException for one that is not text (an
    /// escaped half of a surrogate pair): read later, in the middle of a command, it closed the socket.
    /// </summary>
    public static void ReadEveryString(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String: _ = element.GetString(); break;
            case JsonValueKind.Array: foreach (var item in element.EnumerateArray()) ReadEveryString(item); break;
            case JsonValueKind.Object:
                foreach (var field in element.EnumerateObject())
                {
                    _ = field.Name;
                    ReadEveryString(field.Value);
                }
                break;
        }
    }

    /// <summary>Words for the person when a known field has the wrong kind; null when every field is fine.</summary>
    public static string? Problem(JsonElement message)
    {
        foreach (var field in message.EnumerateObject())
        {
            if (Strings.Contains(field.Name) && field.Value.ValueKind != JsonValueKind.String)
                return $"\"{field.Name}\" must be a string.";
            if (WholeNumbers.Contains(field.Name) && (field.Value.ValueKind != JsonValueKind.Number || !field.Value.TryGetInt64(out _)))
                return $"\"{field.Name}\" must be a whole number.";
        }
        return null;
    }
}
