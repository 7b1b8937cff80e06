package org.fdcap.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.Collectors;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.junit.jupiter.api.Test;

/**
 * On the JDK running the tests (CI runs them on 17 and 25), the channel factory's open is advised
 * by the variant that hands the agent its open options, so that a channel's flags come from them
 * and not from {@code /proc/self/fdinfo}: the options are the fourth argument before JDK 22 and the
 * third since, and no form of the method is left to the variant without them.
 */
class ChannelFactoryMatchTest {
    @Test
    void theFactorysOpenIsAdvisedWithItsOptionsOnThisJdk() throws Exception {
        TypeDescription factory = TypeDescription.ForLoadedType.of(Class.forName("sun.nio.fs.UnixChannelFactory"));
        boolean before22 = Runtime.version().feature() < 22;

        assertEquals(before22 ? 0 : 1, matching(factory, Instrumentations.channelOpenOptionsThird()).size());
        assertEquals(before22 ? 1 : 0, matching(factory, Instrumentations.channelOpenOptionsFourth()).size());
        assertEquals(List.of(), matching(factory, Instrumentations.channelOpenOptionsUnknown()));
    }

    private static List<String> matching(TypeDescription type, ElementMatcher<MethodDescription> matcher) {
        return type.getDeclaredMethods().stream().filter(matcher::matches).map(MethodDescription::toString)
                .collect(Collectors.toList());
    }
}
