package org.fdcap.it.thirdparty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.NoMergePolicy;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.NIOFSDirectory;

/**
 * Apache Lucene, unmodified: an index of many small segments (no merges, no compound files), so
 * that a reader holds a FileChannel open per segment part (NIOFSDirectory) — thousands at once —
 * and searches read them all by position. Prints the hits of a fixed set of queries with the
 * stored fields they return; stderr gets how many files the index has.
 *
 * <p>Usage: {@code LuceneSearch dir segments docsPerSegment}
 */
public final class LuceneSearch {
    private static final String[] WORDS = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
        "hotel", "india", "juliett", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
        "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu"};

    private LuceneSearch() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int segments = Integer.parseInt(args[1]);
        int docsPerSegment = Integer.parseInt(args[2]);
        Random random = new Random(42);
        try (NIOFSDirectory index = new NIOFSDirectory(dir)) {
            IndexWriterConfig config = new IndexWriterConfig(new StandardAnalyzer())
                    .setMergePolicy(NoMergePolicy.INSTANCE)
                    .setUseCompoundFile(false)
                    .setOpenMode(IndexWriterConfig.OpenMode.CREATE);
            try (IndexWriter writer = new IndexWriter(index, config)) {
                int id = 0;
                for (int s = 0; s < segments; s++) {
                    for (int d = 0; d < docsPerSegment; d++, id++) {
                        Document doc = new Document();
                        doc.add(new StringField("id", Integer.toString(id), Field.Store.YES));
                        StringBuilder text = new StringBuilder();
                        for (int w = 0; w < 12; w++) {
                            text.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
                        }
                        doc.add(new TextField("body", text.toString(), Field.Store.NO));
                        doc.add(new StoredField("payload", text.reverse().toString()));
                        writer.addDocument(doc);
                    }
                    writer.flush(); // one segment per batch
                }
                writer.commit();
            }
            try (Stream<Path> files = Files.list(dir)) {
                System.err.println("lucene index files: " + files.count());
            }
            try (DirectoryReader reader = DirectoryReader.open(index)) {
                System.out.println("segments " + reader.leaves().size() + " docs " + reader.numDocs());
                IndexSearcher searcher = new IndexSearcher(reader);
                for (int q = 0; q < 40; q++) {
                    BooleanQuery.Builder query = new BooleanQuery.Builder();
                    query.add(new TermQuery(new Term("body", WORDS[random.nextInt(WORDS.length)])),
                            BooleanClause.Occur.MUST);
                    query.add(new TermQuery(new Term("body", WORDS[random.nextInt(WORDS.length)])),
                            BooleanClause.Occur.SHOULD);
                    TopDocs top = searcher.search(query.build(), 25);
                    CRC32 crc = new CRC32();
                    for (ScoreDoc sd : top.scoreDocs) {
                        Document doc = searcher.storedFields().document(sd.doc);
                        crc.update((doc.get("id") + ":" + doc.get("payload") + ":" + sd.score)
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    }
                    System.out.println("query " + q + " hits " + top.totalHits + " top " + crc.getValue());
                }
            }
        }
    }
}
